// isNodeHeartbeat, the balancer's check of a node heartbeat (untrusted input from the
// network): a well-formed beat passes, each malformed or out-of-bounds field is rejected, and
// no input at all makes it throw (a fast-check property with a fixed seed).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type GroupBeat,
  isNodeHeartbeat,
  type NodeHeartbeat,
} from '../../src/protocol/node-heartbeat.js';

const seed = 20240917;

const good: NodeHeartbeat = {
  type: 'nodeHeartbeat',
  nodeId: 'n1',
  zone: 'zone-a',
  url: 'ws://127.0.0.1:7001',
  configVersion: 3,
  seq: 17,
  groups: [
    ['meta', 'follower', 2, 'n2', 40, 40],
    ['s0', 'leader', 5, 'n1', 1_000, 998],
    ['s1', 'candidate', 6, null, 0, 0],
  ],
};

const long = 'x'.repeat(129);

describe('isNodeHeartbeat', () => {
  test('accepts a well-formed heartbeat', () => {
    expect(isNodeHeartbeat(good)).toBe(true);
  });

  test('accepts a null url, an empty zone, no groups and fields at their bounds', () => {
    expect(isNodeHeartbeat({ ...good, url: null, zone: '', groups: [] })).toBe(true);
    const maxGroups = Array.from(
      { length: 4_096 },
      (_, i): GroupBeat => [`s${i}`, 'f', 0, null, 0, 0],
    );
    expect(
      isNodeHeartbeat({
        ...good,
        nodeId: 'x'.repeat(128),
        zone: 'z'.repeat(128),
        url: 'u'.repeat(1_024),
        configVersion: Number.MAX_SAFE_INTEGER,
        seq: 0,
        groups: maxGroups,
      }),
    ).toBe(true);
  });

  test.each([
    ['null', null],
    ['a string', 'nodeHeartbeat'],
    ['an array', [good]],
    ['undefined', undefined],
  ])('rejects %s', (_what, message) => {
    expect(isNodeHeartbeat(message)).toBe(false);
  });

  test.each<[string, Record<string, unknown>]>([
    ['another type', { type: 'heartbeat' }],
    ['no type', { type: undefined }],
    ['an empty node id', { nodeId: '' }],
    ['a node id over 128 characters', { nodeId: long }],
    ['a numeric node id', { nodeId: 1 }],
    ['a zone over 128 characters', { zone: long }],
    ['a null zone', { zone: null }],
    ['a missing url', { url: undefined }],
    ['a numeric url', { url: 7001 }],
    ['a url over 1024 characters', { url: 'u'.repeat(1_025) }],
    ['a negative config version', { configVersion: -1 }],
    ['a fractional config version', { configVersion: 1.5 }],
    ['an unsafe config version', { configVersion: 2 ** 53 }],
    ['a string seq', { seq: '17' }],
    ['a NaN seq', { seq: Number.NaN }],
    ['groups that are a map', { groups: { s0: good.groups[0] } }],
    ['more than 4096 groups', { groups: Array.from({ length: 4_097 }, () => good.groups[0]) }],
  ])('rejects a beat with %s', (_what, change) => {
    expect(isNodeHeartbeat({ ...good, ...change })).toBe(false);
  });

  test.each<[string, unknown]>([
    ['not an array', { groupId: 's0' }],
    ['five fields', ['s0', 'leader', 1, 'n1', 5]],
    ['seven fields', ['s0', 'leader', 1, 'n1', 5, 5, 5]],
    ['an empty group id', ['', 'leader', 1, 'n1', 5, 5]],
    ['a group id over 128 characters', [long, 'leader', 1, 'n1', 5, 5]],
    ['a numeric role', ['s0', 1, 1, 'n1', 5, 5]],
    ['an empty role', ['s0', '', 1, 'n1', 5, 5]],
    ['a negative term', ['s0', 'leader', -1, 'n1', 5, 5]],
    ['a fractional term', ['s0', 'leader', 1.5, 'n1', 5, 5]],
    ['an empty leader id', ['s0', 'leader', 1, '', 5, 5]],
    ['a missing leader id', ['s0', 'leader', 1, undefined, 5, 5]],
    ['a numeric leader id', ['s0', 'leader', 1, 2, 5, 5]],
    ['a string commit', ['s0', 'leader', 1, 'n1', '5', 5]],
    ['an infinite applied', ['s0', 'leader', 1, 'n1', 5, Number.POSITIVE_INFINITY]],
    ['a negative applied', ['s0', 'leader', 1, 'n1', 5, -1]],
  ])('rejects a group beat with %s', (_what, groupBeat) => {
    expect(isNodeHeartbeat({ ...good, groups: [good.groups[0], groupBeat] })).toBe(false);
  });

  test('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (message) => {
        expect(typeof isNodeHeartbeat(message)).toBe('boolean');
      }),
      { seed, numRuns: 2_000 },
    );
  });

  test('never throws on near-misses: a good beat with random field values', () => {
    const fields = Object.keys(good);
    const nearMiss = fc
      .record({
        field: fc.constantFrom(...fields),
        value: fc.anything(),
        group: fc.array(fc.anything(), { maxLength: 8 }),
      })
      .map(({ field, value, group }) => ({ ...good, [field]: value, groups: [group] }));
    fc.assert(
      fc.property(nearMiss, (message) => {
        expect(typeof isNodeHeartbeat(message)).toBe('boolean');
      }),
      { seed, numRuns: 2_000 },
    );
  });

  test('accepts every beat built from well-typed fields within bounds', () => {
    const id = fc.string({ minLength: 1, maxLength: 128 });
    const count = fc.nat({ max: Number.MAX_SAFE_INTEGER });
    const groupBeat = fc.tuple(id, id, count, fc.option(id), count, count);
    const beat = fc.record({
      type: fc.constant('nodeHeartbeat' as const),
      nodeId: id,
      zone: fc.string({ maxLength: 128 }),
      url: fc.option(fc.string({ maxLength: 1_024 })),
      configVersion: count,
      seq: count,
      groups: fc.array(groupBeat, { maxLength: 20 }),
    });
    fc.assert(
      fc.property(beat, (message) => {
        expect(isNodeHeartbeat(message)).toBe(true);
      }),
      { seed, numRuns: 500 },
    );
  });
});
