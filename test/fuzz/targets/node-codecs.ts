// Fuzz targets: the codecs of a node's Raft log and snapshots. Entries and snapshots arrive
// from the leader (AppendEntries, InstallSnapshot chunks reassembled) and are read back from
// disk, so each decoder must refuse bad bytes with its typed error: entry envelopes
// (decodeEntryCommand), key-value commands (decodeKvCommand), key-value snapshots
// (restoreKvSnapshot), meta state and meta commands (decodeMetaState, decodeMetaCommand).
import fc from 'fast-check';
import { decodeKvCommand, encodeKvCommand } from '../../../packages/node/src/kv/command-codec.js';
import { CorruptEntryError } from '../../../packages/node/src/kv/errors.js';
import { MemoryKvStore } from '../../../packages/node/src/kv/memory-kv-store.js';
import { encodeKvSnapshot, restoreKvSnapshot } from '../../../packages/node/src/kv/snapshot.js';
import type { KvCommand, KvWriteOutcome } from '../../../packages/node/src/kv/types.js';
import { ClusterConfigError } from '../../../packages/node/src/meta/errors.js';
import {
  decodeMetaCommand,
  decodeMetaState,
  encodeMetaCommand,
  encodeMetaState,
} from '../../../packages/node/src/meta/meta-codec.js';
import { initialMetaState, type MetaCommand } from '../../../packages/node/src/meta/meta-state.js';
import {
  decodeEntryCommand,
  encodeEntryCommand,
} from '../../../packages/node/src/replica/entry-codec.js';
import {
  defineTarget,
  expectEqual,
  expectTypedThrow,
  type FuzzTarget,
  type Sample,
  violation,
} from '../target.js';

const isCorrupt = (e: unknown) => e instanceof CorruptEntryError;
const isConfig = (e: unknown) => e instanceof ClusterConfigError;

export const entryCommand = defineTarget({
  name: 'entry-command',
  entry: 'decodeEntryCommand (Replica applying a committed entry)',
  codec: 'msgpack',
  valid: fc
    .record({
      origin: fc.stringMatching(/^[a-z0-9]{1,8}\/[a-z0-9]{1,12}$/),
      requestId: fc.oneof(fc.nat(1_000), fc.maxSafeNat()),
      command: fc.uint8Array({ maxLength: 64 }),
    })
    .map((entry): Sample => ({ bytes: encodeEntryCommand(entry), value: entry })),
  run(input) {
    const result = expectTypedThrow(() => decodeEntryCommand(input), isCorrupt);
    if (result.ok && !(result.value.command instanceof Uint8Array)) violation('command not bytes');
  },
  roundTrip(sample) {
    expectEqual(decodeEntryCommand(sample.bytes), sample.value, 'entry command');
  },
});

const sessionArb = fc.record({
  id: fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
  seq: fc.integer({ min: 1, max: 2 ** 40 }),
});
const kvCommandArb: fc.Arbitrary<KvCommand> = fc
  .record({
    op: fc.constantFrom('update' as const, 'create' as const, 'delete' as const),
    key: fc.string({ minLength: 1, maxLength: 40 }),
    value: fc.uint8Array({ maxLength: 64 }),
    nowMs: fc.oneof(fc.nat(), fc.double({ min: 0, max: 1e13, noNaN: true })),
    session: fc.option(sessionArb, { nil: undefined }),
    ifVersion: fc.option(fc.maxSafeNat(), { nil: undefined }),
  })
  .map(({ op, value, session, ifVersion, ...rest }) => {
    const command: KvCommand = { op, ...rest, ...(op === 'delete' ? {} : { value }) };
    return {
      ...command,
      ...(session ? { session } : {}),
      ...(ifVersion !== undefined && op !== 'create' ? { ifVersion } : {}),
    };
  });

export const kvCommand = defineTarget({
  name: 'kv-command',
  entry: 'decodeKvCommand (KvGroupMachine.apply)',
  codec: 'msgpack',
  valid: kvCommandArb.map(
    (command): Sample => ({ bytes: encodeKvCommand(command), value: command }),
  ),
  run(input) {
    const result = expectTypedThrow(() => decodeKvCommand(input), isCorrupt);
    if (result.ok && result.value.key.length === 0) violation('empty key accepted');
  },
  roundTrip(sample) {
    expectEqual(decodeKvCommand(sample.bytes), sample.value, 'kv command');
  },
});

const outcomeArb: fc.Arbitrary<KvWriteOutcome> = fc.oneof(
  fc.record({
    ok: fc.constant(true as const),
    op: fc.constantFrom('update' as const, 'create' as const, 'delete' as const),
    version: fc.maxSafeNat(),
    prevVersion: fc.maxSafeNat(),
  }),
  fc.record({
    ok: fc.constant(false as const),
    code: fc.constantFrom(
      'TROUPE_ERR_VERSION_CONFLICT' as const,
      'TROUPE_ERR_ALREADY_EXISTS' as const,
      'TROUPE_ERR_SESSION_EXPIRED' as const,
      'TROUPE_ERR_SESSION_STALE' as const,
    ),
    message: fc.string({ maxLength: 30 }),
  }),
);

/** A store's contents as its snapshot bytes, and the store itself to compare with. */
const snapshotArb = fc
  .record({
    records: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 16 }),
      fc.record({ value: fc.uint8Array({ maxLength: 32 }), version: fc.maxSafeNat() }),
      { maxKeys: 8 },
    ),
    sessions: fc.dictionary(
      fc.stringMatching(/^[\x21-\x7e]{1,16}$/),
      fc.record({ seq: fc.maxSafeNat(), lastSeenMs: fc.nat(), outcome: outcomeArb }),
      { maxKeys: 4 },
    ),
  })
  .map(({ records, sessions }): Sample => {
    const store = new MemoryKvStore();
    for (const [key, record] of Object.entries(records)) store.put(key, record);
    for (const [id, session] of Object.entries(sessions)) store.putSession(id, session);
    return { bytes: encodeKvSnapshot(store), value: contentsOf(store) };
  });

function contentsOf(store: MemoryKvStore): unknown {
  return { records: [...store.records()], sessions: [...store.sessions()] };
}

export const kvSnapshot = defineTarget({
  name: 'kv-snapshot',
  entry: 'restoreKvSnapshot (a reassembled InstallSnapshot, or a stored snapshot)',
  codec: 'msgpack',
  valid: snapshotArb,
  run(input) {
    const store = new MemoryKvStore();
    store.put('untouched', { value: new Uint8Array([1]), version: 1 });
    const before = contentsOf(store);
    const result = expectTypedThrow(() => restoreKvSnapshot(input, store), isCorrupt);
    // Restoring checks everything before it clears the store: a refusal changes nothing.
    if (!result.ok) expectEqual(contentsOf(store), before, 'store after a refused snapshot');
  },
  roundTrip(sample) {
    const store = new MemoryKvStore();
    restoreKvSnapshot(sample.bytes, store);
    expectEqual(contentsOf(store), sample.value, 'kv snapshot');
  },
});

const nodeIdsArb = fc.uniqueArray(fc.stringMatching(/^n[0-9]{1,3}$/), {
  minLength: 1,
  maxLength: 7,
});
const metaStateArb = fc
  .record({
    ids: nodeIdsArb,
    shardCount: fc.integer({ min: 1, max: 16 }),
    replicationFactor: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ ids, shardCount, replicationFactor }) => {
    const members = ids.map((id, i) => ({
      id,
      url: `ws://127.0.0.1:${7100 + i}`,
      zone: `zone-${i % 3}`,
    }));
    const rf = Math.min(replicationFactor, members.length);
    return initialMetaState({
      clusterId: 'fuzz-cluster',
      members,
      shardCount,
      replicationFactor: rf,
    });
  });

export const metaState = defineTarget({
  name: 'meta-state',
  entry: 'decodeMetaState (MetaGroupMachine reading its record or a snapshot)',
  codec: 'msgpack',
  valid: metaStateArb.map((state): Sample => ({ bytes: encodeMetaState(state), value: state })),
  run(input) {
    expectTypedThrow(() => decodeMetaState(input), isConfig);
  },
  roundTrip(sample) {
    expectEqual(decodeMetaState(sample.bytes), sample.value, 'meta state');
  },
});

const metaCommandArb: fc.Arbitrary<MetaCommand> = fc.oneof(
  fc.record({
    type: fc.constant('addMember' as const),
    member: fc.record({
      id: fc.stringMatching(/^n[0-9]{1,3}$/),
      url: fc.nat(65_535).map((p) => `ws://127.0.0.1:${p === 0 ? 1 : p}`),
      zone: fc.stringMatching(/^[a-z0-9_.-]{1,12}$/),
    }),
  }),
  fc.record({
    type: fc.constant('removeMember' as const),
    id: fc.stringMatching(/^n[0-9]{1,3}$/),
    ifConfigVersion: fc.maxSafeNat(),
  }),
  fc.record({
    type: fc.constant('setShardReplicas' as const),
    shard: fc.nat(1_023),
    replicas: nodeIdsArb,
    ifConfigVersion: fc.maxSafeNat(),
  }),
);

export const metaCommand = defineTarget({
  name: 'meta-command',
  entry: 'decodeMetaCommand (MetaGroupMachine.apply)',
  codec: 'msgpack',
  valid: metaCommandArb.map((command): Sample => {
    return { bytes: encodeMetaCommand(command), value: command };
  }),
  run(input) {
    expectTypedThrow(() => decodeMetaCommand(input), isConfig);
  },
  roundTrip(sample) {
    expectEqual(decodeMetaCommand(sample.bytes), sample.value, 'meta command');
  },
});

export const nodeCodecTargets: readonly FuzzTarget[] = [
  entryCommand,
  kvCommand,
  kvSnapshot,
  metaState,
  metaCommand,
];
