// `pnpm bench:runtime`: remote tell throughput and ask round trips between two processes, next
// to a bare ws+msgpackr baseline measured in the same run. Rounds alternate runtime and bare so
// machine noise hits both; the median of each figure is reported. `--write` records the table
// with machine facts in bench/RESULTS.md.
import {
  benchArgs,
  machineFacts,
  recordSection,
  runBench,
} from '../../../test/harness/bench-results.js';
import { spawnTs } from '../../../test/harness/processes.js';
import { payloadBytes } from './payload.js';

const { values } = benchArgs({
  tells: { type: 'string', default: '2000000' },
  asks: { type: 'string', default: '20000' },
  rounds: { type: 'string', default: '3' },
  write: { type: 'boolean', default: false },
});

type Result = Record<string, number | string>;

async function runPair(receiver: string, sender: string, args: string[]): Promise<Result[]> {
  const server = spawnTs(`packages/runtime/bench/${receiver}`, [], { inheritStderr: true });
  try {
    const { url } = await server.waitForEvent<{ url: string }>('ready');
    const client = spawnTs(`packages/runtime/bench/${sender}`, ['--url', url, ...args], {
      inheritStderr: true,
    });
    const exit = await client.exited;
    if (exit.code !== 0) throw new Error(`${sender} exited with ${exit.code ?? exit.signal}`);
    return client.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Result);
  } finally {
    server.kill('SIGTERM');
    await server.exited;
  }
}

function median(numbers: number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function summarise(all: Result[]): Map<string, Result> {
  const byScenario = new Map<string, Result[]>();
  for (const result of all) {
    const key = String(result.scenario);
    byScenario.set(key, [...(byScenario.get(key) ?? []), result]);
  }
  const summary = new Map<string, Result>();
  for (const [scenario, results] of byScenario) {
    const merged: Result = { scenario };
    for (const field of Object.keys(results[0] ?? {})) {
      if (field === 'scenario') continue;
      merged[field] = median(results.map((r) => Number(r[field])));
    }
    summary.set(scenario, merged);
  }
  return summary;
}

const fmt = (n: unknown): string => Math.round(Number(n)).toLocaleString('en-US');

function table(summary: Map<string, Result>): string {
  const get = (scenario: string, field: string): number => Number(summary.get(scenario)?.[field]);
  const tell = get('runtime tell', 'msgsPerSec');
  const bare = get('bare ws+msgpackr, batched', 'msgsPerSec');
  const single = get('bare ws+msgpackr, 1 per frame', 'msgsPerSec');
  const rows = [
    '| scenario | throughput | p50 | p99 |',
    '|---|---:|---:|---:|',
    `| runtime remote tell (${payloadBytes}-byte payload) | ${fmt(tell)} msgs/s | | |`,
    `| bare ws+msgpackr, batched per turn | ${fmt(bare)} msgs/s | | |`,
    `| bare ws+msgpackr, one message per frame | ${fmt(single)} msgs/s | | |`,
  ];
  for (const inFlight of [1, 64]) {
    for (const side of ['runtime', 'bare']) {
      const s = `${side} ask x${inFlight}`;
      const label = side === 'runtime' ? 'runtime ask' : 'bare ws+msgpackr request/response';
      rows.push(
        `| ${label}, ${inFlight} in flight | ${fmt(get(s, 'asksPerSec'))} asks/s | ` +
          `${fmt(get(s, 'p50Micros'))} µs | ${fmt(get(s, 'p99Micros'))} µs |`,
      );
    }
  }
  const ratio = bare / tell;
  rows.push('', `Batched bare baseline / runtime tell: **${ratio.toFixed(2)}x** (target <= 1.5x).`);
  rows.push(`Runtime tell target >= 300,000 msgs/s: **${tell >= 300_000 ? 'met' : 'not met'}**.`);
  return rows.join('\n');
}

function facts(): string {
  return machineFacts([
    `- command: \`pnpm bench:runtime --tells ${values.tells} --asks ${values.asks} --rounds ${values.rounds}\``,
  ]);
}

async function main(): Promise<void> {
  const all: Result[] = [];
  for (let round = 1; round <= Number(values.rounds); round++) {
    process.stderr.write(`round ${round}/${values.rounds}\n`);
    all.push(
      ...(await runPair('runtime-receiver.ts', 'runtime-sender.ts', [
        '--tells',
        values.tells,
        '--asks',
        values.asks,
      ])),
    );
    all.push(
      ...(await runPair('bare-receiver.ts', 'bare-sender.ts', ['--messages', values.tells])),
    );
  }
  const section = `${facts()}\n\n${table(summarise(all))}\n`;
  process.stdout.write(`${section}\n`);
  if (values.write) recordSection('runtime', 'Runtime: remote tell and ask (issue 2)', section);
}

runBench(main);
