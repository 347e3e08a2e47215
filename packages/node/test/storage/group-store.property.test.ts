// GroupStore keeps MemoryStorage's semantics exactly: a seeded random sequence of appends
// (with conflicting suffixes), hard states, snapshots (created and received) and compactions,
// applied to both, leaves the same bounds, terms, entries, snapshot and initial state, also
// after the lmdb store is closed and reopened.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import type { ConfState, Entry, HardState } from '../../src/raft/types.js';
import type { GroupStore } from '../../src/storage/group-store.js';
import type { NodeStore } from '../../src/storage/node-store.js';
import { closeStore, openStore, tempDir } from './helpers.js';

type Op =
  | { kind: 'append'; back: number; count: number; termBump: number; bytes: number }
  | { kind: 'hardState'; termBump: number; vote: string | null; commitBack: number }
  | { kind: 'createSnapshot'; pick: number; conf: number; bytes: number }
  | { kind: 'compact'; pick: number }
  | { kind: 'applySnapshot'; ahead: number; termBump: number; conf: number; bytes: number }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.nat(4),
      count: fc.integer({ min: 1, max: 6 }),
      termBump: fc.nat(2),
      bytes: fc.nat(40),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('hardState' as const),
      termBump: fc.nat(1),
      vote: fc.constantFrom(null, 'n1', 'n2'),
      commitBack: fc.nat(3),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('createSnapshot' as const),
      pick: fc.nat(),
      conf: fc.nat(2),
      bytes: fc.nat(30),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('applySnapshot' as const),
      ahead: fc.nat(6),
      termBump: fc.nat(2),
      conf: fc.nat(2),
      bytes: fc.nat(30),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

const confs: ConfState[] = [
  { voters: ['n1'], learners: [] },
  { voters: ['n1', 'n2', 'n3'], learners: [] },
  { voters: ['n1', 'n2'], learners: ['n4'] },
];

function bytesOf(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i) % 256);
}

/** The model and the store under test, plus what the test tracks between operations. */
interface World {
  readonly dir: string;
  store: NodeStore;
  group: GroupStore;
  readonly memory: MemoryStorage;
  termNow: number;
  step: number;
}

function pickIn(lo: number, hi: number, pick: number): number | null {
  return hi < lo ? null : lo + (pick % (hi - lo + 1));
}

function apply(w: World, op: Op): void {
  const { memory, group } = w;
  w.step++;
  if (op.kind === 'append') {
    // Raft never rewrites applied or snapshotted entries: conflicts start after them.
    const kept = Math.max(memory.snapshot().metadata.index, group.appliedIndex());
    const start = Math.max(1, kept + 1, memory.lastIndex() + 1 - op.back);
    w.termNow += op.termBump;
    const batch: Entry[] = [];
    for (let index = start; index < start + op.count; index++) {
      batch.push({
        type: 'normal',
        index,
        term: w.termNow,
        data: bytesOf(op.bytes, index + w.step),
      });
    }
    memory.append(batch);
    group.append(batch);
  } else if (op.kind === 'hardState') {
    const term = memory.hardState().term + op.termBump;
    w.termNow = Math.max(w.termNow, term);
    const hardState: HardState = {
      term,
      vote: op.vote,
      commit: Math.max(0, memory.lastIndex() - op.commitBack),
    };
    memory.setHardState(hardState);
    group.setHardState(hardState);
  } else if (op.kind === 'createSnapshot') {
    const lo = Math.max(
      memory.snapshot().metadata.index + 1,
      memory.firstIndex() - 1,
      group.appliedIndex(),
    );
    const index = pickIn(lo, memory.lastIndex(), op.pick);
    if (index === null) return;
    const conf = confs[op.conf]!;
    group.setApplied(index, conf);
    const data = bytesOf(op.bytes, w.step);
    expect(group.createSnapshot(index, conf, data)).toEqual(
      memory.createSnapshot(index, conf, data),
    );
  } else if (op.kind === 'compact') {
    const hi = Math.min(memory.snapshot().metadata.index, group.appliedIndex());
    const index = pickIn(0, hi, op.pick);
    if (index === null) return;
    memory.compact(index);
    group.compact(index);
  } else if (op.kind === 'applySnapshot') {
    w.termNow += op.termBump;
    const index = memory.snapshot().metadata.index + 1 + op.ahead;
    const metadata = { index, term: Math.max(1, w.termNow), confState: confs[op.conf]! };
    const snapshot = { metadata, data: bytesOf(op.bytes, w.step) };
    memory.applySnapshot(snapshot);
    group.applySnapshot(snapshot);
  }
}

function expectSame(w: World): void {
  const { memory, group } = w;
  expect(group.firstIndex()).toBe(memory.firstIndex());
  expect(group.lastIndex()).toBe(memory.lastIndex());
  for (let index = memory.firstIndex() - 1; index <= memory.lastIndex(); index++) {
    expect(group.term(index)).toBe(memory.term(index));
  }
  const [lo, hi] = [memory.firstIndex(), memory.lastIndex() + 1];
  for (const bytesMax of [0, 50, 130, Number.POSITIVE_INFINITY]) {
    expect(group.entries(lo, hi, bytesMax)).toEqual(memory.entries(lo, hi, bytesMax));
  }
  if (hi - lo > 2)
    expect(group.entries(lo + 1, hi - 1, 70)).toEqual(memory.entries(lo + 1, hi - 1, 70));
  expect(group.snapshot()).toEqual(memory.snapshot());
  expect(group.initialState()).toEqual(memory.initialState());
  expect(group.hardState()).toEqual(memory.hardState());
}

async function reopen(w: World): Promise<void> {
  await closeStore(w.store);
  w.store = openStore(w.dir);
  w.group = w.store.group('s3');
}

describe('GroupStore matches MemoryStorage', () => {
  it('after seeded appends, hard states, snapshots, compactions and reopens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(opArb, { minLength: 1, maxLength: 24 }),
        async (bootstrap, ops) => {
          const dir = tempDir();
          const store = openStore(dir);
          const memory = bootstrap
            ? MemoryStorage.bootstrap(confs[1]!, bytesOf(5, 1))
            : new MemoryStorage();
          const world: World = {
            dir,
            store,
            group: store.group('s3'),
            memory,
            termNow: 1,
            step: 0,
          };
          if (bootstrap) store.write(() => world.group.bootstrap(confs[1]!, bytesOf(5, 1)));
          for (const op of ops) {
            if (op.kind === 'reopen') await reopen(world);
            else world.store.write(() => apply(world, op));
            expectSame(world);
          }
          await reopen(world);
          expectSame(world);
        },
      ),
      { seed: 7, numRuns: 100 },
    );
  }, 180_000);
});
