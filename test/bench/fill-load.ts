// The recovery benchmark's load generator, a process of its own (like loadgen.ts) so that its
// CPU is not the orchestrator's: it writes `writes` distinct keys (bench-0, bench-1, ...) once
// each with 100-byte values through the SDK, `concurrency` writes in flight spread over
// `clients` SDK connections, and prints JSON lines: `progress` now and then, `filled` at the
// end. A write the SDK gives up on is tried again a few times, so every key ends up written
// unless the cluster is really down (then `failed` says how many are missing).
import { createClient, type TroupeClient } from '@troupe/client';
import { benchValue, keyName } from './workloads.js';

export interface FillPlan {
  readonly balancers: readonly string[];
  readonly writes: number;
  readonly concurrency: number;
  /** SDK clients, each its own WebSocket; the concurrency is spread over them. */
  readonly clients: number;
  readonly progressEveryMs: number;
}

export type FillLine =
  | { readonly event: 'progress'; readonly written: number; readonly ms: number }
  | {
      readonly event: 'filled';
      readonly written: number;
      /** Keys not written after every attempt. */
      readonly failed: number;
      /** Attempts that failed and were tried again. */
      readonly retries: number;
      readonly ms: number;
      readonly errorSamples: readonly string[];
    };

/** Attempts per key: the SDK already retries within its deadline; this covers a longer gap. */
const attemptsMax = 4;
const errorSamplesMax = 5;
/** Generous: a 1M-key fill makes snapshots and group commits that slow some writes down. */
const requestTimeoutMs = 30_000;

function say(line: FillLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

interface FillState {
  nextKey: number;
  written: number;
  failed: number;
  retries: number;
  readonly errorSamples: string[];
}

async function writeOnce(client: TroupeClient, key: string, state: FillState): Promise<void> {
  for (let attempt = 1; attempt <= attemptsMax; attempt++) {
    try {
      await client.update(key, benchValue);
      state.written++;
      return;
    } catch (error) {
      if (state.errorSamples.length < errorSamplesMax) state.errorSamples.push(String(error));
      if (attempt === attemptsMax) break;
      state.retries++;
    }
  }
  state.failed++;
}

async function fill(plan: FillPlan): Promise<void> {
  const perClient = Math.ceil(plan.concurrency / plan.clients);
  const clients = Array.from({ length: plan.clients }, (_, i) =>
    createClient({
      balancers: plan.balancers,
      requestTimeoutMs,
      inflightMax: perClient,
      name: `fill-${i}`,
    }),
  );
  const state: FillState = { nextKey: 0, written: 0, failed: 0, retries: 0, errorSamples: [] };
  const startMs = performance.now();
  const ticker = setInterval(() => {
    say({ event: 'progress', written: state.written, ms: performance.now() - startMs });
  }, plan.progressEveryMs);
  const worker = async (index: number): Promise<void> => {
    const client = clients[index % clients.length]!;
    while (state.nextKey < plan.writes) await writeOnce(client, keyName(state.nextKey++), state);
  };
  let ms = 0;
  try {
    await Promise.all(Array.from({ length: plan.concurrency }, (_, i) => worker(i)));
    ms = performance.now() - startMs;
  } finally {
    clearInterval(ticker);
    await Promise.all(clients.map((c) => c.close()));
  }
  const { written, failed, retries, errorSamples } = state;
  say({ event: 'filled', written, failed, retries, ms, errorSamples });
}

fill(JSON.parse(process.argv[2] ?? '') as FillPlan).catch((error: unknown) => {
  process.stderr.write(`fill-load: ${String(error)}\n`);
  process.exitCode = 1;
});
