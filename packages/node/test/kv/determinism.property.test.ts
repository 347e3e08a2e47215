// Property tests of the key-value state machine over random command sequences: replicas fed
// the same log agree (outcomes and kvStateHash) even when one restarts from its own snapshot
// along the way; versions equal indexes and only grow; and without sessions the machine
// matches a naive model of the semantics.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryKvStore } from '../../src/kv/memory-kv-store.js';
import { encodeKvSnapshot, restoreKvSnapshot } from '../../src/kv/snapshot.js';
import { kvStateHash } from '../../src/kv/state-hash.js';
import { KvStateMachine } from '../../src/kv/state-machine.js';
import type { KvCommand, KvStore, KvWriteOutcome } from '../../src/kv/types.js';

// Small bounds so that sweeps, expiry, eviction and dropped tombstones all happen.
const options = {
  sessionTtlMs: 40,
  sessionsMax: 3,
  expiredSessionsMax: 2,
  sessionSweepEveryEntries: 4,
};

interface Step {
  readonly command: KvCommand;
  /** Log indexes skipped before this entry (no-ops and other entries the machine never sees). */
  readonly gap: number;
  /** Whether replica B restarts from a snapshot of itself before this entry. */
  readonly restart: boolean;
}

const stepArb = (withSessions: boolean): fc.Arbitrary<Step> =>
  fc
    .record({
      command: fc.record({
        op: fc.constantFrom('update' as const, 'create' as const, 'delete' as const),
        key: fc.constantFrom('a', 'b', 'c'),
        value: fc.uint8Array({ maxLength: 2 }),
        // Mostly absent: a random ifVersion rarely matches, and would hide the other paths.
        ifVersion: fc.oneof(
          { weight: 3, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.nat({ max: 12 }) },
        ),
        session: withSessions
          ? fc.option(fc.record({ id: fc.constantFrom('p', 'q', 'r', 's', 't'), seq: fc.nat(5) }), {
              nil: undefined,
            })
          : fc.constant(undefined),
        // A step in time; negative steps stand for a proposer whose clock is behind.
        dtMs: fc.integer({ min: -30, max: 30 }),
      }),
      gap: fc.nat(2),
      restart: fc.boolean(),
    })
    .map(({ command, gap, restart }) => ({ command: toCommand(command), gap, restart }));

function toCommand(raw: {
  op: KvCommand['op'];
  key: string;
  value: Uint8Array;
  ifVersion: number | undefined;
  session: { id: string; seq: number } | undefined;
  dtMs: number;
}): KvCommand {
  return {
    op: raw.op,
    key: raw.key,
    ...(raw.op === 'delete' ? {} : { value: raw.value }),
    ...(raw.ifVersion === undefined ? {} : { ifVersion: raw.ifVersion }),
    ...(raw.session === undefined ? {} : { session: { ...raw.session, seq: raw.session.seq + 1 } }),
    nowMs: raw.dtMs, // made absolute by withTimes
  };
}

/** Turns each step's nowMs from a delta into a time (never negative). */
function withTimes(steps: Step[]): Step[] {
  let nowMs = 1000;
  return steps.map((step) => {
    nowMs = Math.max(0, nowMs + step.command.nowMs);
    return { ...step, command: { ...step.command, nowMs } };
  });
}

const stepsArb = (withSessions: boolean): fc.Arbitrary<Step[]> =>
  fc.array(stepArb(withSessions), { minLength: 10, maxLength: 60 }).map(withTimes);

const runs = { seed: 42, numRuns: 200 };

describe('replicas applying the same log', () => {
  it('agree on every outcome and end with equal state hashes, restarts included', () => {
    fc.assert(
      fc.property(stepsArb(true), (steps) => {
        const storeA = new MemoryKvStore();
        const machineA = new KvStateMachine(options);
        let storeB: KvStore = new MemoryKvStore();
        let machineB = new KvStateMachine(options);
        let index = 0;
        for (const { command, gap, restart } of steps) {
          index += gap + 1;
          if (restart) {
            const restored = new MemoryKvStore();
            restoreKvSnapshot(encodeKvSnapshot(storeB), restored);
            [storeB, machineB] = [restored, new KvStateMachine(options)];
          }
          const outcomeA = machineA.apply(index, command, storeA);
          expect(machineB.apply(index, command, storeB)).toEqual(outcomeA);
        }
        expect(kvStateHash(storeB)).toBe(kvStateHash(storeA));
      }),
      runs,
    );
  });

  it('keep the session table within sessionsMax live plus expiredSessionsMax tombstones', () => {
    fc.assert(
      fc.property(stepsArb(true), (steps) => {
        const store = new MemoryKvStore();
        const machine = new KvStateMachine(options);
        steps.forEach(({ command }, i) => {
          machine.apply(i + 1, command, store);
          const bound = options.sessionsMax + options.expiredSessionsMax + 1;
          expect(store.sessionCount()).toBeLessThanOrEqual(bound);
        });
      }),
      runs,
    );
  });
});

describe('versions', () => {
  it('equal the index on success and only grow per key', () => {
    fc.assert(
      fc.property(stepsArb(true), (steps) => {
        const store = new MemoryKvStore();
        const machine = new KvStateMachine(options);
        const highest = new Map<string, number>();
        let index = 0;
        for (const { command, gap } of steps) {
          index += gap + 1;
          const outcome = machine.apply(index, command, store);
          const { version } = machine.read(command.key, store);
          // A fresh success (not a retry's stored outcome) is at this index.
          const fresh = outcome.ok && outcome.version === index;
          if (fresh && command.op !== 'delete') expect(version).toBe(index);
          if (outcome.ok) expect(outcome.version).toBeLessThanOrEqual(index);
          if (version === 0) continue;
          expect(version).toBeGreaterThanOrEqual(highest.get(command.key) ?? 0);
          highest.set(command.key, version);
        }
      }),
      runs,
    );
  });
});

interface ModelRecord {
  readonly value: Uint8Array;
  readonly version: number;
}

/** The semantics, written as plainly as possible, for writes without sessions. */
function modelApply(
  model: Map<string, ModelRecord>,
  index: number,
  command: KvCommand,
): Partial<KvWriteOutcome> {
  const current = model.get(command.key)?.version ?? 0;
  if (command.ifVersion !== undefined && command.ifVersion !== current) {
    return { ok: false, code: 'TROUPE_ERR_VERSION_CONFLICT', currentVersion: current };
  }
  if (command.op === 'create' && current !== 0) {
    return { ok: false, code: 'TROUPE_ERR_ALREADY_EXISTS', currentVersion: current };
  }
  if (command.op === 'delete') model.delete(command.key);
  else model.set(command.key, { value: command.value!, version: index });
  return { ok: true, op: command.op, version: index, prevVersion: current };
}

describe('without sessions', () => {
  it('outcomes and reads match a naive model', () => {
    fc.assert(
      fc.property(stepsArb(false), (steps) => {
        const store = new MemoryKvStore();
        const machine = new KvStateMachine(options);
        const model = new Map<string, ModelRecord>();
        steps.forEach(({ command }, i) => {
          const expected = modelApply(model, i + 1, command);
          expect(machine.apply(i + 1, command, store)).toMatchObject(expected);
        });
        for (const key of ['a', 'b', 'c']) {
          const record = model.get(key);
          const { value, version } = machine.read(key, store);
          expect({ value, version }).toEqual({
            value: record?.value ?? null,
            version: record?.version ?? 0,
          });
        }
      }),
      runs,
    );
  });
});
