// Proof that a recovered node really holds the data, not only that its indexes moved: sampled
// keys read from it alone (stale reads, which a node answers from its own state machine) and
// compared with what was written, and every group's state hash equal on every node.
import { decodeValue } from '@troupe/client';
import { createSeededRng } from '@troupe/runtime';
import type { KvTestClient } from '../harness/kv-test-client.js';
import { benchValue, keyName } from './workloads.js';

export interface SpotCheck {
  readonly keys: number;
  /** Sampled keys the node answered with the value written. */
  readonly found: number;
}

interface GroupHash {
  readonly applied: number;
  readonly hash: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads `samples` of the keys bench-0 .. bench-(writes-1), chosen by `seed`, from `nodeId`. */
export async function spotCheck(
  probe: KvTestClient,
  nodeId: string,
  options: { readonly writes: number; readonly seed: number; readonly samples: number },
): Promise<SpotCheck> {
  const rng = createSeededRng(options.seed);
  let found = 0;
  for (let i = 0; i < options.samples; i++) {
    const key = keyName(rng.nextInt(options.writes));
    const request = { op: 'get', key, consistency: 'stale' } as const;
    // A failed read counts as not found: the figure says so, the run goes on.
    const reply = await probe.once(nodeId, request, 10_000).catch(() => null);
    if (reply === null || !reply.ok || reply.op !== 'get' || reply.value === null) continue;
    const value = decodeValue(reply.value);
    if (value instanceof Uint8Array && Buffer.from(value).equals(benchValue)) found++;
  }
  return { keys: options.samples, found };
}

/** Each group's state hash on each of `nodeIds`, grouped: groupId -> distinct hashes. */
async function hashesByGroup(
  probe: KvTestClient,
  nodeIds: readonly string[],
): Promise<Map<string, Set<string>>> {
  const hashes = new Map<string, Set<string>>();
  for (const nodeId of nodeIds) {
    // Hashing every record blocks the node for a while (about a second per 100k keys here).
    const groups = await probe.admin<Record<string, GroupHash>>(
      nodeId,
      { type: 'stateHashes' },
      120_000,
    );
    for (const [groupId, { hash }] of Object.entries(groups)) {
      const seen = hashes.get(groupId) ?? new Set<string>();
      seen.add(hash);
      hashes.set(groupId, seen);
    }
  }
  return hashes;
}

/**
 * Whether every group's state hash is the same on all `nodeIds`, tried until `timeoutMs`.
 * Applied indexes are not compared: after a restart leadership moves for a while (the
 * balancer's failovers, the hand-back to preferred leaders), and each new term appends an
 * empty entry that some replica has applied and another not yet; such entries change no
 * state, so equal hashes at unequal indexes still prove equal data. A replica behind on real
 * writes shows a different hash until it catches up.
 */
export async function replicasAgree(
  probe: KvTestClient,
  nodeIds: readonly string[],
  timeoutMs: number,
): Promise<boolean> {
  const endMs = performance.now() + timeoutMs;
  while (performance.now() < endMs) {
    const hashes = await hashesByGroup(probe, nodeIds).catch(() => null);
    if (hashes !== null && [...hashes.values()].every((seen) => seen.size === 1)) return true;
    await sleep(500);
  }
  return false;
}
