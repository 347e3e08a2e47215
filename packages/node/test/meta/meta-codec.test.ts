// The meta codec: round trips of states and commands, and the trust boundary: random bytes,
// random msgpack values and corrupted encodings all fail with ClusterConfigError and nothing
// else; encoding refuses exactly what decoding would.
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { ClusterConfigError } from '../../src/meta/errors.js';
import {
  decodeMetaCommand,
  decodeMetaState,
  encodeMetaCommand,
  encodeMetaState,
} from '../../src/meta/meta-codec.js';
import {
  applyMetaCommand,
  initialMetaState,
  type MetaCommand,
  type MetaState,
} from '../../src/meta/meta-state.js';

const runs = { seed: 11, numRuns: 200 };
const packr = new Packr({ useRecords: false });

const memberArb = fc.record({
  id: fc.stringMatching(/^[!-~]{1,64}$/),
  url: fc
    .tuple(fc.constantFrom('h', '10.0.0.1', '[::1]', 'a.b-c'), fc.integer({ min: 1, max: 65535 }))
    .map(([host, port]) => `ws://${host}:${port}`),
  zone: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
});

const commandArb: fc.Arbitrary<MetaCommand> = fc.oneof(
  fc.record({ type: fc.constant('addMember' as const), member: memberArb }),
  fc.record({
    type: fc.constant('removeMember' as const),
    id: fc.stringMatching(/^[!-~]{1,64}$/),
    ifConfigVersion: fc.maxSafeNat(),
  }),
  fc.record({
    type: fc.constant('setShardReplicas' as const),
    shard: fc.integer({ min: 0, max: 1023 }),
    replicas: fc.uniqueArray(fc.stringMatching(/^[!-~]{1,8}$/), { minLength: 1, maxLength: 7 }),
    ifConfigVersion: fc.maxSafeNat(),
  }),
);

const stateArb: fc.Arbitrary<MetaState> = fc
  .record({
    count: fc.integer({ min: 1, max: 9 }),
    zones: fc.integer({ min: 1, max: 4 }),
    shardCount: fc.integer({ min: 1, max: 32 }),
    rf: fc.integer({ min: 1, max: 5 }),
    moves: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 5 }),
  })
  .map(({ count, zones, shardCount, rf, moves }) => {
    const members = Array.from({ length: count }, (_, i) => ({
      id: `node-${i}`,
      url: `ws://10.0.0.${i}:7000`,
      zone: `z${i % zones}`,
    }));
    const replicationFactor = Math.min(rf, count);
    let state = initialMetaState({
      clusterId: 'abcdef0123456789',
      members,
      shardCount,
      replicationFactor,
    });
    for (const [shard, node] of moves) {
      const replicas = [`node-${node % count}`];
      const ifConfigVersion = state.configVersion;
      const command: MetaCommand = {
        type: 'setShardReplicas',
        shard: shard % shardCount,
        replicas,
        ifConfigVersion,
      };
      state = applyMetaCommand(state, command).state;
    }
    return state;
  });

/** Runs `decode` and reports how it failed: only ClusterConfigError is acceptable. */
function failureOf(decode: () => unknown): 'ok' | 'config' | string {
  try {
    decode();
    return 'ok';
  } catch (error) {
    return error instanceof ClusterConfigError ? 'config' : String(error);
  }
}

describe('round trips', () => {
  it('states', () => {
    fc.assert(
      fc.property(stateArb, (state) => {
        expect(decodeMetaState(encodeMetaState(state))).toEqual(state);
      }),
      runs,
    );
  });

  it('commands', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        expect(decodeMetaCommand(encodeMetaCommand(command))).toEqual(command);
      }),
      runs,
    );
  });
});

describe('malformed input fails with ClusterConfigError only', () => {
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(['ok', 'config']).toContain(failureOf(() => decodeMetaState(bytes)));
        expect(['ok', 'config']).toContain(failureOf(() => decodeMetaCommand(bytes)));
      }),
      runs,
    );
  });

  it('random msgpack values', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withTypedArray: true, withMap: true }),
        (value) => {
          let bytes: Uint8Array;
          try {
            bytes = packr.pack(value);
          } catch {
            return;
          }
          expect(failureOf(() => decodeMetaState(bytes))).toBe('config');
          expect(failureOf(() => decodeMetaCommand(bytes))).toBe('config');
        },
      ),
      runs,
    );
  });

  it('corrupted and truncated encodings', () => {
    const input = fc.tuple(stateArb, commandArb, fc.nat(), fc.integer({ min: 1, max: 255 }));
    fc.assert(
      fc.property(input, ([state, command, at, xor]) => {
        for (const encoded of [encodeMetaState(state), encodeMetaCommand(command)]) {
          const flipped = Uint8Array.from(encoded);
          const i = at % flipped.length;
          flipped[i] = (flipped[i] ?? 0) ^ xor;
          const truncated = encoded.subarray(0, at % encoded.length);
          for (const bytes of [flipped, truncated]) {
            expect(['ok', 'config']).toContain(failureOf(() => decodeMetaState(bytes)));
            expect(['ok', 'config']).toContain(failureOf(() => decodeMetaCommand(bytes)));
          }
        }
      }),
      runs,
    );
  });

  it.each([
    ['not bytes', 'x' as unknown as Uint8Array],
    ['empty', new Uint8Array()],
    ['trailing bytes', Uint8Array.from([...packr.pack([1]), 0])],
    ['unknown format version', packr.pack([2, 'removeMember', 'n1', 1])],
    ['unknown type', packr.pack([1, 'dropTables', 'n1', 1])],
    ['wrong arity', packr.pack([1, 'removeMember', 'n1'])],
    ['float version', packr.pack([1, 'removeMember', 'n1', 1.5])],
    ['bigint version', packr.pack([1, 'removeMember', 'n1', 2n ** 63n - 1n])],
    ['bad id', packr.pack([1, 'removeMember', 'n 1', 1])],
    ['non-canonical url', packr.pack([1, 'addMember', 'n1', 'h:1', 'z'])],
    ['duplicate replicas', packr.pack([1, 'setShardReplicas', 0, ['a', 'a'], 1])],
    ['no replicas', packr.pack([1, 'setShardReplicas', 0, [], 1])],
    ['shard out of range', packr.pack([1, 'setShardReplicas', 1024, ['a'], 1])],
    ['object', packr.pack({ type: 'removeMember', id: 'n1', ifConfigVersion: 1 })],
  ])('command: %s', (_, bytes) => {
    expect(() => decodeMetaCommand(bytes)).toThrow(ClusterConfigError);
  });

  it('states that break an invariant', () => {
    const good = packr.unpack(
      encodeMetaState(
        initialMetaState({
          clusterId: 'c1',
          members: [
            { id: 'b', url: 'ws://h:2', zone: 'z' },
            { id: 'a', url: 'ws://h:1', zone: 'z' },
          ],
          shardCount: 2,
          replicationFactor: 2,
        }),
      ),
    ) as unknown[];
    const variant = (index: number, value: unknown) => {
      const copy = [...good];
      copy[index] = value;
      return packr.pack(copy);
    };
    const bad = [
      variant(0, 2),
      variant(1, ''),
      variant(2, 0),
      variant(3, 3),
      variant(5, [
        ['b', 'ws://h:2', 'z'],
        ['a', 'ws://h:1', 'z'],
      ]),
      variant(5, [
        ['a', 'ws://h:1', 'z'],
        ['b', 'ws://h:1', 'z'],
      ]),
      variant(6, ['a', 'x']),
      variant(7, [['a', 'b']]),
      variant(7, [
        ['a', 'b'],
        ['a', 'a'],
      ]),
      variant(7, [['a', 'b'], ['c']]),
      packr.pack(good.slice(0, 7)),
    ];
    for (const bytes of bad) expect(() => decodeMetaState(bytes)).toThrow(ClusterConfigError);
    expect(decodeMetaState(packr.pack(good)).members.map((m) => m.id)).toEqual(['a', 'b']);
  });
});

describe('encoding refuses what decoding would', () => {
  it.each<MetaCommand>([
    { type: 'addMember', member: { id: 'n1', url: 'ws://h:0', zone: 'z' } },
    { type: 'removeMember', id: '', ifConfigVersion: 1 },
    { type: 'removeMember', id: 'n1', ifConfigVersion: -1 },
    { type: 'setShardReplicas', shard: 0, replicas: ['a', 'a'], ifConfigVersion: 1 },
  ])('%o', (command) => {
    expect(() => encodeMetaCommand(command)).toThrow(ClusterConfigError);
  });

  it('a state that breaks an invariant', () => {
    const state = initialMetaState({
      clusterId: 'c1',
      members: [{ id: 'a', url: 'ws://h:1', zone: 'z' }],
      shardCount: 1,
      replicationFactor: 1,
    });
    expect(() => encodeMetaState({ ...state, metaVoters: ['x'] })).toThrow(ClusterConfigError);
  });
});
