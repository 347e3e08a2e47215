// Runs a fuzz target with fast-check: a fixed number of cases from a seed, each timed (a case
// over `hangMs` breaks the no-hang property), in chunks so the event loop turns between them
// and a long run reports progress. A failure comes back with the chunk's seed and the shrunk
// counterexample's path, which replay it exactly (`pnpm fuzz --only T --seed S --path P`).
import fc from 'fast-check';
import type { FuzzTarget } from './target.js';

export interface FuzzOptions {
  readonly runs: number;
  readonly seed: number;
  /** Replays one counterexample (with the seed it was found under). */
  readonly path?: string;
  /** A case slower than this is a hang. */
  readonly hangMs?: number;
  /** Cases per fast-check run; chunk i uses seed + i. */
  readonly chunkRuns?: number;
  readonly onProgress?: (cases: number) => void;
  /** Shrink a failing input (can take long on big inputs); off: the first failure is kept. */
  readonly shrink?: boolean;
}

export interface FuzzReport {
  readonly name: string;
  readonly cases: number;
  readonly roundTrips: number;
  readonly failures: number;
  readonly slowestMs: number;
  readonly elapsedMs: number;
  /** Set on failure: how to replay, and what broke. */
  readonly failure?: {
    readonly seed: number;
    readonly path: string;
    readonly counterexample: string;
    readonly error: string;
    readonly replay: string;
  };
}

const defaultHangMs = 1_000;
const defaultChunkRuns = 20_000;

function hex(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('hex');
  return text.length > 4_000 ? `${text.slice(0, 4_000)}… (${bytes.length} bytes)` : text;
}

/** The no-hang check around one case, sync or async as the target is. */
function timed(target: FuzzTarget, hangMs: number, slowest: { ms: number }) {
  const finish = (startMs: number): void => {
    const ms = performance.now() - startMs;
    if (ms > slowest.ms) slowest.ms = ms;
    if (ms > hangMs) throw new Error(`no-hang: one case took ${ms.toFixed(0)} ms (> ${hangMs})`);
  };
  return (input: Uint8Array): void | Promise<void> => {
    const startMs = performance.now();
    const result = target.run(input);
    if (result instanceof Promise) return result.then(() => finish(startMs));
    finish(startMs);
  };
}

async function checkChunk(
  property: fc.IProperty<[Uint8Array]> | fc.IAsyncProperty<[Uint8Array]>,
  params: fc.Parameters<[Uint8Array]>,
): Promise<fc.RunDetails<[Uint8Array]>> {
  return fc.check(property as fc.IAsyncProperty<[Uint8Array]>, params);
}

/** Runs `options.runs` cases of `target` (plus round trips of valid inputs). */
export async function runTarget(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const hangMs = options.hangMs ?? defaultHangMs;
  const chunkRuns = options.path === undefined ? (options.chunkRuns ?? defaultChunkRuns) : 1;
  const slowest = { ms: 0 };
  const startMs = performance.now();
  const run = timed(target, hangMs, slowest);
  const property = fc.asyncProperty(target.arbitrary, async (input) => run(input));
  const syncProperty = fc.property(target.arbitrary, (input) => {
    const result = run(input);
    if (result instanceof Promise) throw new Error('async run in a sync property');
  });
  const isAsync = target.run.constructor.name === 'AsyncFunction';
  let cases = 0;
  for (let chunk = 0; cases < options.runs; chunk++) {
    const numRuns = Math.min(chunkRuns, options.runs - cases);
    const seed = options.seed + chunk;
    const params = { numRuns, seed, path: options.path, endOnFailure: options.shrink !== true };
    const details = await checkChunk(isAsync ? property : syncProperty, params);
    cases += details.numRuns + details.numSkips;
    if (details.failed) {
      return failed(target, { cases, slowest, startMs, seed, details });
    }
    options.onProgress?.(cases);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const roundTrips = await checkRoundTrips(target, options);
  return {
    name: target.name,
    cases,
    roundTrips,
    failures: 0,
    slowestMs: slowest.ms,
    elapsedMs: performance.now() - startMs,
  };
}

/** Valid inputs must decode to what was encoded: a share of the run, at least 100. */
async function checkRoundTrips(target: FuzzTarget, options: FuzzOptions): Promise<number> {
  if (options.path !== undefined) return 0;
  const numRuns = Math.max(100, Math.min(10_000, Math.floor(options.runs / 20)));
  const property = fc.asyncProperty(target.valid, async (sample) => target.roundTrip(sample));
  const details = await fc.check(property, { numRuns, seed: options.seed });
  if (details.failed) {
    const error = details.errorInstance;
    throw new Error(
      `${target.name}: round trip failed (seed ${options.seed}): ${String(error)}\n` +
        `sample: ${details.counterexample ? hex(details.counterexample[0].bytes) : '?'}`,
    );
  }
  return numRuns;
}

function failed(
  target: FuzzTarget,
  at: {
    cases: number;
    slowest: { ms: number };
    startMs: number;
    seed: number;
    details: fc.RunDetails<[Uint8Array]>;
  },
): FuzzReport {
  const { details, seed } = at;
  const path = details.counterexamplePath ?? '';
  const error = details.errorInstance;
  const input = details.counterexample?.[0];
  return {
    name: target.name,
    cases: at.cases,
    roundTrips: 0,
    failures: 1,
    slowestMs: at.slowest.ms,
    elapsedMs: performance.now() - at.startMs,
    failure: {
      seed,
      path,
      counterexample: input === undefined ? '?' : hex(input),
      error: error instanceof Error ? error.message : String(error),
      replay: `pnpm fuzz --only ${target.name} --seed ${seed} --path ${path}`,
    },
  };
}
