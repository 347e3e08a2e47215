// The Raft log encoding of key-value writes: every shape round-trips, the form is compact, and
// anything that is not an entry we wrote (random or damaged bytes, wrong fields) is rejected
// with CorruptEntryError and nothing else.
import { TroupeError } from '@troupe/runtime';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeKvCommand, encodeKvCommand } from '../../src/kv/command-codec.js';
import { CorruptEntryError } from '../../src/kv/errors.js';
import type { KvCommand } from '../../src/kv/types.js';
import { bytes, remove, update } from './builders.js';

const packr = new Packr({ useRecords: false });

const sessionIdArb = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);

const commandArb: fc.Arbitrary<KvCommand> = fc
  .record(
    {
      op: fc.constantFrom('update' as const, 'create' as const, 'delete' as const),
      key: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
      value: fc.uint8Array({ maxLength: 64 }),
      ifVersion: fc.option(fc.nat({ max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
      session: fc.option(
        fc.record({ id: sessionIdArb, seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }),
        { nil: undefined },
      ),
      nowMs: fc.oneof(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.double({ min: 0, max: 1e15 })),
    },
    { requiredKeys: ['op', 'key', 'value', 'nowMs'] },
  )
  .map(({ value, ...rest }) => (rest.op === 'delete' ? rest : { ...rest, value }));

/** Whatever decoding does with `data`, it returns a command or throws CorruptEntryError. */
function decodesOrCorrupt(data: Uint8Array): void {
  try {
    decodeKvCommand(data);
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptEntryError);
  }
}

describe('round trip', () => {
  it('decodes every encoded command to an equal command', () => {
    fc.assert(
      fc.property(commandArb, (command) => {
        expect(decodeKvCommand(encodeKvCommand(command))).toEqual(command);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('decodes values as plain Uint8Array copies, not views into the entry', () => {
    const entry = encodeKvCommand(update('k', bytes(7, 8, 9)));
    const decoded = decodeKvCommand(entry);
    entry.fill(0);
    expect(decoded.value?.constructor).toBe(Uint8Array);
    expect(decoded.value).toEqual(bytes(7, 8, 9));
  });

  it('is compact: a delete without options is the op, time and key in a few bytes', () => {
    expect(encodeKvCommand(remove('k', { nowMs: 1 })).byteLength).toBe(5);
  });
});

describe('malformed entries', () => {
  it('random bytes decode or throw CorruptEntryError, never another error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), decodesOrCorrupt), {
      seed: 42,
      numRuns: 200,
    });
  });

  it('damaged valid entries decode or throw CorruptEntryError, never another error', () => {
    const damaged = fc
      .tuple(commandArb, fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([command, at, flip]) => {
        const entry = encodeKvCommand(command);
        entry[at % entry.length]! ^= flip;
        return entry;
      });
    fc.assert(fc.property(damaged, decodesOrCorrupt), { seed: 42, numRuns: 200 });
  });

  it('arrays of arbitrary msgpack values decode or throw CorruptEntryError only', () => {
    const scalar = fc.oneof(
      fc.integer({ min: -5, max: 5 }),
      fc.double(),
      fc.string({ maxLength: 3 }),
      fc.uint8Array({ maxLength: 3 }),
      fc.constant(null),
      fc.boolean(),
    );
    const entries = fc.array(scalar, { maxLength: 8 }).map((fields) => packr.pack(fields));
    fc.assert(fc.property(entries, decodesOrCorrupt), { seed: 42, numRuns: 200 });
  });

  it('truncated valid entries throw CorruptEntryError', () => {
    const truncated = fc.tuple(commandArb, fc.nat()).map(([command, cut]) => {
      const entry = encodeKvCommand(command);
      return entry.subarray(0, cut % entry.length);
    });
    fc.assert(
      fc.property(truncated, (entry) => {
        expect(() => decodeKvCommand(entry)).toThrow(CorruptEntryError);
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('the error is a TroupeError with code TROUPE_ERR_CORRUPT_ENTRY', () => {
    const error = (() => {
      try {
        decodeKvCommand(bytes(0xc1));
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(TroupeError);
    expect(error).toMatchObject({ code: 'TROUPE_ERR_CORRUPT_ENTRY', name: 'CorruptEntryError' });
  });

  const v = bytes(1);
  it.each([
    ['empty bytes', new Uint8Array(0)],
    ['trailing bytes after the entry', Uint8Array.of(...encodeKvCommand(remove('k')), 0)],
    ['a map instead of an array', packr.pack({ op: 1, key: 'k', nowMs: 0 })],
    ['too few fields', packr.pack([3, 0])],
    ['too many fields', packr.pack([3, 0, 'k', null, null, null, null, null])],
    ['an unknown op', packr.pack([4, 0, 'k'])],
    ['an op given as a string', packr.pack(['delete', 0, 'k'])],
    ['a negative nowMs', packr.pack([3, -1, 'k'])],
    ['a NaN nowMs', packr.pack([3, Number.NaN, 'k'])],
    ['an empty key', packr.pack([3, 0, ''])],
    ['a numeric key', packr.pack([3, 0, 7])],
    ['an update without a value', packr.pack([1, 0, 'k'])],
    ['an update with a string value', packr.pack([1, 0, 'k', 'v'])],
    ['a delete with a value', packr.pack([3, 0, 'k', v])],
    ['a session seq without an id', packr.pack([1, 0, 'k', v, null, 1])],
    ['a session id without a seq', packr.pack([1, 0, 'k', v, 's'])],
    ['a session seq of 0', packr.pack([1, 0, 'k', v, 's', 0])],
    ['a fractional session seq', packr.pack([1, 0, 'k', v, 's', 1.5])],
    ['a session id with a space (the reserved id)', packr.pack([1, 0, 'k', v, ' kv', 1])],
    ['a session id over 64 characters', packr.pack([1, 0, 'k', v, 'x'.repeat(65), 1])],
    ['a negative ifVersion', packr.pack([1, 0, 'k', v, null, null, -1])],
    ['a fractional ifVersion', packr.pack([1, 0, 'k', v, null, null, 0.5])],
  ])('rejects %s', (_, entry) => {
    expect(() => decodeKvCommand(entry)).toThrow(CorruptEntryError);
  });
});
