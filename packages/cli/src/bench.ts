// `troupe bench`: a closed-loop load on a running cluster through the client SDK, the way an
// operator checks their own cluster (redis-benchmark's role). Finds the cluster as the kv
// commands do, fails fast with exit 3 when no balancer answers, writes every key once before
// a read workload so reads find values of the real size, then warms up and measures
// (bench-loop.ts) and prints one report, as text or one JSON object.
import type { TroupeClient } from '@troupe/client';
import { createSeededRng, type Rng } from '@troupe/runtime';
import type { BenchCommand } from './args.js';
import { closedLoop, type LoopResult } from './bench-loop.js';
import { BenchFailedError } from './errors.js';
import { openClient, unreachableOr } from './kv.js';
import type { Out } from './output.js';
import { balancerTargets } from './target.js';
import { clientTls } from './tls-ca.js';
import { clientToken } from './token-command.js';

/** In the mixed workload, the share of operations that are linearizable reads. */
export const mixedReadShare = 0.9;
/** Keeps workers' seeded streams apart: worker i of seed s draws from s * this + i. */
const workerSeedStride = 10_007;

/** The run's settings as given, beside what it measured. */
type BenchSettings = Pick<
  BenchCommand,
  'op' | 'concurrency' | 'durationMs' | 'warmupMs' | 'keys' | 'valueBytes' | 'keyPrefix' | 'seed'
>;

export interface BenchReport extends LoopResult, BenchSettings {
  readonly balancers: readonly string[];
}

/** One worker's next-operation function: its own seeded choice of keys (and of reads). */
export function benchOperation(
  command: BenchCommand,
  client: TroupeClient,
  rng: Rng,
  value: Uint8Array,
): () => Promise<unknown> {
  const key = (): string => `${command.keyPrefix}${rng.nextInt(command.keys)}`;
  const options = { timeoutMs: command.timeoutMs };
  const write = () => client.update(key(), value, options);
  const read = () => client.get(key(), options);
  switch (command.op) {
    case 'write':
      return write;
    case 'read':
      return read;
    case 'stale-read':
      return () => client.get(key(), { ...options, consistency: 'stale' });
    case 'mixed':
      return () => (rng.nextFloat() < mixedReadShare ? read() : write());
  }
}

/** Writes every key once, `concurrency` at a time. */
async function preload(command: BenchCommand, client: TroupeClient, value: Uint8Array) {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < command.keys) {
      const key = `${command.keyPrefix}${next++}`;
      await client.update(key, value, { timeoutMs: command.timeoutMs });
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.concurrency, command.keys) }, worker));
}

async function measure(
  command: BenchCommand,
  client: TroupeClient,
  say: (line: string) => void,
): Promise<LoopResult> {
  // The content does not matter, only the size; 'a' keeps it readable in a `troupe get`.
  const value = new Uint8Array(command.valueBytes).fill(0x61);
  // A first request tells an unreachable cluster (exit 3) from a slow one.
  await client.get(`${command.keyPrefix}0`, { timeoutMs: command.timeoutMs });
  if (command.op !== 'write') {
    say(`writing ${command.keys} keys once, so that reads find them`);
    await preload(command, client, value);
  }
  const seconds = (ms: number): string => `${(ms / 1_000).toFixed(1)} s`;
  say(`warming up ${seconds(command.warmupMs)}, then measuring ${seconds(command.durationMs)}`);
  const worker = (index: number) => {
    const rng = createSeededRng(command.seed * workerSeedStride + index);
    return benchOperation(command, client, rng, value);
  };
  return closedLoop(worker, command);
}

export async function runBench(command: BenchCommand, out: Out): Promise<BenchReport> {
  const balancers = balancerTargets(command.balancer, command.dataDir);
  // Enough in flight that the workers, not the client's queue, set the concurrency.
  const client = openClient(balancers, command.timeoutMs, {
    name: 'troupe-bench',
    inflightMax: Math.max(256, command.concurrency),
    ...clientTls(command.tlsCa),
    ...clientToken(command.token),
  });
  const say = (line: string): void => {
    if (!command.json) out.line(`bench: ${line}`);
  };
  let result: LoopResult;
  try {
    result = await measure(command, client, say);
  } catch (error) {
    throw unreachableOr(client, balancers, error);
  } finally {
    await client.close();
  }
  const report: BenchReport = { ...benchShape(command), balancers, ...result };
  if (command.json) out.json(report);
  else out.line(renderBench(report));
  if (report.ops === 0) {
    throw new BenchFailedError(`no operation succeeded in ${command.durationMs} ms`);
  }
  return report;
}

/** What ran, as the report states it. */
function benchShape(command: BenchCommand) {
  const { op, concurrency, durationMs, warmupMs, keys, valueBytes, keyPrefix, seed } = command;
  return { op, concurrency, durationMs, warmupMs, keys, valueBytes, keyPrefix, seed };
}

const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (value: number): string => `${Number(value.toPrecision(3))} ms`;

/** The text report: what ran, then ops, latency and errors on a line each. */
export function renderBench(report: BenchReport): string {
  const what =
    `${report.op}: ${report.concurrency} workers for ${report.durationMs / 1_000} s after ` +
    `${report.warmupMs / 1_000} s of warm-up; ${report.keys} keys, ` +
    `${report.valueBytes}-byte values; ${report.balancers.join(',')}`;
  const { p50, p99, p999, max, mean } = report.latencyMs;
  const latency =
    report.ops === 0
      ? '-'
      : `p50 ${ms(p50)}  p99 ${ms(p99)}  p99.9 ${ms(p999)}  max ${ms(max)}  mean ${ms(mean)}`;
  const codes = Object.entries(report.errorsByCode).sort((a, b) => b[1] - a[1]);
  const errors =
    report.errors === 0 ? 'none' : codes.map(([code, n]) => `${code} ${grouped(n)}`).join(', ');
  return [
    what,
    `ops:      ${grouped(report.ops)} (${grouped(report.opsPerS)} ops/s)`,
    `latency:  ${latency}`,
    `errors:   ${errors}`,
  ].join('\n');
}
