// The chaos workload: K client processes, each with its own SDK client, each doing one
// operation at a time — get, update, update with ifVersion, create, delete — mostly on a few
// hot keys (so that operations overlap and CAS conflicts happen) and sometimes on cold ones.
// Every operation is recorded Jepsen-style as an invoke event and then ok, fail (definite: it
// did not take effect) or info (outcome unknown: a timeout, a forgotten session). Written
// values are unique per write, so a read names the write it saw. Seeded: the same seed makes
// the same choices (timings, and so outcomes, still vary).
import { createClient, type TroupeClient, TroupeError } from '@troupe/client';
import { createSeededRng, type Rng } from '@troupe/runtime';
import type { HistoryEvent } from '../sim/checkers/history.js';
import { type FinalRead, finalReadsFromEvents } from './real-versions.js';

export interface WorkloadOptions {
  readonly balancers: readonly string[];
  readonly clients: number;
  readonly hotKeys: number;
  readonly coldKeys: number;
  readonly durationMs: number;
  readonly seed: number;
  /** Per-operation deadline; a write that runs out of it is recorded as info. */
  readonly requestTimeoutMs?: number;
  /** Fraction of gets that ask for a stale read (any replica); default 0.25. */
  readonly staleReadFraction?: number;
  /** Relative weights of the operation kinds; default `defaultMix`. */
  readonly mix?: WorkloadMix;
  /** Most operations each client starts per second; unlimited (closed loop) when absent. */
  readonly ratePerClient?: number;
}

/** Relative weights: `cas` is an update with `ifVersion` (the last version the client saw). */
export interface WorkloadMix {
  readonly get: number;
  readonly update: number;
  readonly cas: number;
  readonly create: number;
  readonly delete: number;
}

export const defaultMix: WorkloadMix = { get: 40, update: 30, cas: 10, create: 10, delete: 10 };

export class WorkloadMixError extends Error {
  readonly code = 'TROUPE_ERR_CHAOS_MIX';
}

/** `get=40,update=30,cas=10,create=10,delete=10`; kinds left out weigh 0. */
export function parseMix(spec: string): WorkloadMix {
  const mix: Record<keyof WorkloadMix, number> = {
    get: 0,
    update: 0,
    cas: 0,
    create: 0,
    delete: 0,
  };
  for (const part of spec.split(',')) {
    const [kind, weight] = part.split('=').map((s) => s.trim());
    if (kind === undefined || !(kind in mix)) {
      throw new WorkloadMixError(
        `--mix: unknown kind '${kind}' (get, update, cas, create, delete)`,
      );
    }
    const value = Number(weight);
    if (weight === undefined || weight === '' || !Number.isFinite(value) || value < 0) {
      throw new WorkloadMixError(`--mix: ${kind} needs a weight >= 0, as in ${kind}=10`);
    }
    mix[kind as keyof WorkloadMix] = value;
  }
  if (Object.values(mix).every((w) => w === 0)) {
    throw new WorkloadMixError('--mix: at least one kind needs a weight above 0');
  }
  return mix;
}

export interface WorkloadResult {
  readonly events: HistoryEvent[];
  readonly finalReads: Map<string, FinalRead>;
  readonly keys: readonly string[];
}

/** Errors that say the operation did not take effect, and the name the KV model knows. */
const definite: Readonly<Record<string, string>> = {
  TROUPE_ERR_VERSION_CONFLICT: 'VersionConflict',
  TROUPE_ERR_ALREADY_EXISTS: 'AlreadyExists',
  TROUPE_ERR_UNAVAILABLE: 'Unavailable',
  TROUPE_ERR_OVERLOADED: 'Overloaded',
  TROUPE_ERR_STORAGE_FULL: 'StorageFull',
};

type Op =
  | { readonly f: 'get'; readonly key: string; readonly stale: boolean }
  | {
      readonly f: 'update';
      readonly key: string;
      readonly value: string;
      readonly ifVersion?: number;
    }
  | { readonly f: 'create'; readonly key: string; readonly value: string }
  | { readonly f: 'delete'; readonly key: string };

function chooseOp(
  rng: Rng,
  keys: WorkloadKeys,
  process: number,
  n: number,
  seen: Map<string, number>,
): Op {
  const key = rng.nextFloat() < 0.8 ? pick(rng, keys.hot) : pick(rng, keys.cold);
  const value = `${process}:${n}`;
  const { mix } = keys;
  const total = mix.get + mix.update + mix.cas + mix.create + mix.delete;
  const roll = rng.nextFloat() * total;
  // Cumulative bounds of each kind's share of [0, total).
  const getEnd = mix.get;
  const updateEnd = getEnd + mix.update;
  const casEnd = updateEnd + mix.cas;
  const createEnd = casEnd + mix.create;
  if (roll < getEnd) return { f: 'get', key, stale: rng.nextFloat() < keys.staleReadFraction };
  if (roll < updateEnd) return { f: 'update', key, value };
  if (roll < casEnd) return { f: 'update', key, value, ifVersion: seen.get(key) ?? 0 };
  if (roll < createEnd) return { f: 'create', key, value };
  return { f: 'delete', key };
}

interface WorkloadKeys {
  readonly hot: readonly string[];
  readonly cold: readonly string[];
  readonly staleReadFraction: number;
  readonly mix: WorkloadMix;
}

function pick(rng: Rng, from: readonly string[]): string {
  return from[rng.nextInt(from.length)] as string;
}

/** Runs one operation and returns its completion event (without process and time). */
async function perform(
  client: TroupeClient,
  op: Op,
): Promise<Omit<HistoryEvent, 'process' | 'time'>> {
  const { f, key } = op;
  try {
    switch (op.f) {
      case 'get': {
        const stale = op.stale ? ({ stale: true } as const) : {};
        const read = await client.get<string>(key, op.stale ? { consistency: 'stale' } : {});
        return read.exists
          ? { type: 'ok', f, key, value: read.value ?? null, version: read.version, ...stale }
          : { type: 'ok', f, key, version: null, ...stale };
      }
      case 'update': {
        const cas = op.ifVersion === undefined ? {} : { ifVersion: op.ifVersion };
        return { type: 'ok', f, key, version: (await client.update(key, op.value, cas)).version };
      }
      case 'create':
        return { type: 'ok', f, key, version: (await client.create(key, op.value)).version };
      case 'delete': {
        const done = await client.delete(key);
        return { type: 'ok', f, key, version: done.version, deleted: done.prevVersion > 0 };
      }
    }
  } catch (error) {
    const code = error instanceof TroupeError ? error.code : 'unknown';
    const known = definite[code];
    const stale = op.f === 'get' && op.stale ? ({ stale: true } as const) : {};
    return known === undefined
      ? { type: 'info', f, key, error: code, ...stale }
      : { type: 'fail', f, key, error: known, ...stale };
  }
}

async function clientLoop(
  options: WorkloadOptions,
  process: number,
  keys: WorkloadKeys,
  record: (event: HistoryEvent) => void,
): Promise<void> {
  const client = createClient({
    balancers: options.balancers,
    requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    name: `chaos-${process}`,
  });
  const rng = createSeededRng(options.seed * 1_000 + process);
  const seen = new Map<string, number>();
  const endMs = performance.now() + options.durationMs;
  const spacingMs = options.ratePerClient === undefined ? 0 : 1_000 / options.ratePerClient;
  let nextStartMs = performance.now();
  try {
    for (let n = 1; performance.now() < endMs; n++) {
      const waitMs = nextStartMs - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      // A slow operation does not earn a burst afterwards: the schedule restarts from now.
      nextStartMs = Math.max(nextStartMs, performance.now()) + spacingMs;
      const op = chooseOp(rng, keys, process, n, seen);
      const input = op.f === 'update' || op.f === 'create' ? { value: op.value } : {};
      const cas =
        op.f === 'update' && op.ifVersion !== undefined ? { ifVersion: op.ifVersion } : {};
      const stale = op.f === 'get' && op.stale ? ({ stale: true } as const) : {};
      record({
        process,
        type: 'invoke',
        f: op.f,
        key: op.key,
        ...input,
        ...cas,
        ...stale,
        time: performance.now(),
      });
      const done = await perform(client, op);
      record({ ...done, process, time: performance.now() });
      if (done.type === 'ok' && typeof done.version === 'number') seen.set(op.key, done.version);
    }
  } finally {
    await client.close();
  }
}

/** The process name of the final reads in the history. */
export const finalProcess = 'final';

/** Reads every key once more, linearizably, recording the reads in the history. */
async function readFinal(
  options: WorkloadOptions,
  keys: readonly string[],
  record: (event: HistoryEvent) => void,
): Promise<void> {
  const client = createClient({ balancers: options.balancers, requestTimeoutMs: 20_000 });
  try {
    for (const key of keys) {
      const op: Op = { f: 'get', key, stale: false };
      record({ process: finalProcess, type: 'invoke', f: 'get', key, time: performance.now() });
      record({ ...(await perform(client, op)), process: finalProcess, time: performance.now() });
    }
  } finally {
    await client.close();
  }
}

/**
 * Runs the clients for `durationMs`, then `beforeFinalReads` (a harness heals its faults
 * there), then reads every key once more.
 */
export async function runWorkload(
  options: WorkloadOptions,
  beforeFinalReads: () => Promise<void> = async () => {},
): Promise<WorkloadResult> {
  const keys: WorkloadKeys = {
    hot: Array.from({ length: options.hotKeys }, (_, i) => `hot-${i}`),
    cold: Array.from({ length: options.coldKeys }, (_, i) => `cold-${i}`),
    staleReadFraction: options.staleReadFraction ?? 0.25,
    mix: options.mix ?? defaultMix,
  };
  const events: HistoryEvent[] = [];
  const record = (event: HistoryEvent): void => void events.push(event);
  await Promise.all(
    Array.from({ length: options.clients }, (_, p) => clientLoop(options, p, keys, record)),
  );
  await beforeFinalReads();
  const all = [...keys.hot, ...keys.cold];
  await readFinal(options, all, record);
  return { events, finalReads: finalReadsFromEvents(events, finalProcess), keys: all };
}
