// What application values survive the SDK's value encoding (encodeValue / decodeValue: msgpack
// with msgpackr's extra types, bigint extension and the SDK's Map extension), and how — the
// table docs/client.md lists: which come back equal and of the same class, which come back
// changed (and into what), and which are refused (functions, symbols, cycles), at any depth.
import { describe, expect, test } from 'vitest';
import { decodeValue, encodeValue } from '../src/values.js';

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value));

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

class CodedError extends Error {
  readonly code = 'E_CODED';
  constructor(message: string) {
    super(message);
    this.name = 'CodedError';
  }
}

/** Values that come back equal (deeply) and of the same class. */
const exact: [string, unknown][] = [
  ['null', null],
  ['undefined', undefined],
  ['true', true],
  ['false', false],
  ['0', 0],
  ['a small integer', 42],
  ['a negative integer', -7],
  ['2^32', 2 ** 32],
  ['-(2^40)', -(2 ** 40)],
  ['Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
  ['Number.MIN_SAFE_INTEGER', Number.MIN_SAFE_INTEGER],
  ['2^60 as a number (a float64, as it was)', 2 ** 60],
  ['a float', 1.5],
  ['a negative float', -0.1],
  ['1e300', 1e300],
  ['Number.MIN_VALUE', Number.MIN_VALUE],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['an empty string', ''],
  ['an ASCII string', 'hello'],
  ['a unicode string (accents, CJK, emoji)', 'héllo ✓ 日本 😀'],
  ['a bigint, small', 5n],
  ['a bigint, negative', -5n],
  ['a bigint, 2^53 + 1 (exact only as bigint)', 2n ** 53n + 1n],
  ['a bigint, int64 max', 2n ** 63n - 1n],
  ['a bigint, int64 min', -(2n ** 63n)],
  ['a bigint, uint64 max', 2n ** 64n - 1n],
  ['a bigint beyond 64 bits', 2n ** 100n + 7n],
  ['a negative bigint beyond 64 bits', -(2n ** 100n)],
  ['a Uint8Array', new Uint8Array([0, 1, 255])],
  ['an empty Uint8Array', new Uint8Array()],
  ['a Date', new Date(1_700_000_000_123)],
  ['an invalid Date', new Date(Number.NaN)],
  ['an empty Map', new Map()],
  ['a Map with string keys', new Map([['a', 1]])],
  [
    'a Map with non-string keys (number, boolean, null, bigint, Date)',
    new Map<unknown, unknown>([
      [1, 'one'],
      [true, 'yes'],
      [null, 'none'],
      [10n, 'big'],
      [new Date(0), 'epoch'],
    ]),
  ],
  [
    'a Map with object and array keys',
    new Map<unknown, unknown>([
      [{ a: 1 }, 'o'],
      [[1], 'a'],
    ]),
  ],
  ['a Map inside an object', { m: new Map([[1, 2]]) }],
  ['a Map inside an array', [new Map([[1, 2]])]],
  ['a Map inside a Map', new Map([[1, new Map([[2, new Map([[3, 4]])]])]])],
  ['a Map as a Map key', new Map([[new Map([[1, 2]]), 'k']])],
  ['a Map inside a Set', new Set([new Map([[1, 2]])])],
  ['a Set', new Set([1, 'a', null])],
  ['a Set of Sets', new Set([new Set([1])])],
  ['a plain object', { a: 1, b: 'x', c: null }],
  ['an object with an undefined property', { a: undefined }],
  ['an array', [1, 'a', null, true]],
  ['an array holding undefined', [undefined]],
  ['an empty object and array', { o: {}, a: [] }],
  [
    'a nested structure of all of these',
    { a: [{ b: { c: [1, 2n, new Date(5), new Map([['d', new Set([1.5])]])] } }], e: 'é' },
  ],
  ['a RegExp with flags', /a+b\d/giu],
  ['a Float32Array', new Float32Array([1.5, -2])],
  ['a Float64Array', new Float64Array([Math.PI])],
  ['an Int8Array', new Int8Array([-128, 127])],
  ['an Int16Array', new Int16Array([-1, 2])],
  ['an Int32Array', new Int32Array([-(2 ** 31)])],
  ['a Uint16Array', new Uint16Array([65_535])],
  ['a Uint32Array', new Uint32Array([2 ** 32 - 1])],
  ['a Uint8ClampedArray', new Uint8ClampedArray([255])],
  ['a BigInt64Array', new BigInt64Array([-1n])],
  ['a BigUint64Array', new BigUint64Array([2n ** 64n - 1n])],
  ['an ArrayBuffer', new Uint8Array([9, 8]).buffer],
  ['a DataView', new DataView(new Uint8Array([1, 2]).buffer)],
];

describe('values that round-trip exactly', () => {
  test.each(exact)('%s', (_, value) => {
    const back = roundTrip(value);
    expect(back).toEqual(value);
    if (typeof value === 'object' && value !== null) {
      expect((back as object).constructor).toBe(value.constructor);
    } else {
      expect(typeof back).toBe(typeof value);
    }
  });

  test('Map keys that are objects come back as new objects (equal, not the same)', () => {
    const key = { a: 1 };
    const back = roundTrip(new Map([[key, 'v']])) as Map<unknown, unknown>;
    expect(back.get(key)).toBeUndefined();
    expect([...back.keys()]).toEqual([key]);
  });

  test('a Map keeps its insertion order, and a Set too', () => {
    const map = new Map([
      ['z', 1],
      ['a', 2],
      ['m', 3],
    ]);
    expect([...(roundTrip(map) as Map<string, number>).keys()]).toEqual(['z', 'a', 'm']);
    expect([...(roundTrip(new Set([3, 1, 2])) as Set<number>)]).toEqual([3, 1, 2]);
  });
});

describe('values that come back changed', () => {
  test('-0 comes back as 0', () => {
    expect(Object.is(roundTrip(-0), 0)).toBe(true);
  });

  test('a Buffer comes back as a Buffer in Node.js (a Uint8Array elsewhere)', () => {
    const back = roundTrip(Buffer.from([1, 2]));
    expect(Buffer.isBuffer(back)).toBe(true);
    expect([...(back as Buffer)]).toEqual([1, 2]);
  });

  test('a Uint8Array view comes back as a Uint8Array of just its bytes', () => {
    const view = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    const back = roundTrip(view) as Uint8Array;
    expect(back).toBeInstanceOf(Uint8Array);
    expect([...back]).toEqual([2, 3]);
  });

  test('a class instance comes back as a plain object of its own fields', () => {
    const back = roundTrip(new Point(3, 4));
    expect(back).toEqual({ x: 3, y: 4 });
    expect((back as object).constructor).toBe(Object);
    expect(back).not.toHaveProperty('norm');
  });

  test('an object with a null prototype comes back as a plain object', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    const back = roundTrip(value);
    expect(back).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  });

  test('an Error comes back as a new Error: class, name, message, cause; no stack, fields', () => {
    const back = roundTrip(new TypeError('bad', { cause: 'why' })) as TypeError;
    expect(back).toBeInstanceOf(TypeError);
    expect(back.message).toBe('bad');
    expect(back.cause).toBe('why');
    const coded = roundTrip(new CodedError('m')) as Error;
    expect(coded.constructor).toBe(Error);
    expect(coded.name).toBe('CodedError');
    expect(coded).not.toHaveProperty('code');
  });

  test('array holes come back as undefined', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const back = roundTrip([1, , 3]) as unknown[];
    expect(back).toEqual([1, undefined, 3]);
    expect(1 in back).toBe(true);
  });

  test('integer object keys come back as strings (as in JSON)', () => {
    expect(roundTrip({ 1: 'a' })).toEqual({ '1': 'a' });
  });

  test('an object with toJSON is stored as what toJSON returns', () => {
    class Money {
      constructor(readonly cents: number) {}
      toJSON() {
        return `${this.cents / 100} EUR`;
      }
    }
    expect(roundTrip(new Money(250))).toBe('2.5 EUR');
  });

  test('a Map inside a class instance comes back as an object (not walked into)', () => {
    class Holder {
      readonly m = new Map([['a', 1]]);
    }
    expect(roundTrip(new Holder())).toEqual({ m: { a: 1 } });
  });

  test('objects with no own fields (WeakMap, Promise, boxed Number) come back as {}', () => {
    expect(roundTrip(new WeakMap())).toEqual({});
    expect(roundTrip(Promise.resolve(1))).toEqual({});
    expect(roundTrip(new Number(3))).toEqual({});
  });

  test('the input is not modified (Maps are swapped on a copy)', () => {
    const inner = new Map([[1, 2]]);
    const value = { list: [inner], set: new Set([inner]) };
    encodeValue(value);
    expect(value.list[0]).toBe(inner);
    expect([...value.set][0]).toBe(inner);
    expect(inner.constructor).toBe(Map);
  });
});

describe('values refused', () => {
  const cycle: { self?: unknown } = {};
  cycle.self = cycle;
  const refused: [string, unknown][] = [
    ['a function', () => 1],
    ['a function in an object', { f: () => 1 }],
    ['a function in an array', [1, () => 1]],
    ['a function in a Map', new Map([['f', () => 1]])],
    ['a function in a Set', new Set([() => 1])],
    [
      'a function field of a class instance',
      new (class {
        readonly f = () => 1;
      })(),
    ],
    ['a symbol', Symbol('s')],
    ['a symbol in an object', { s: Symbol('s') }],
    ['a symbol in a Map', new Map([['s', Symbol('s')]])],
    ['a cycle', cycle],
  ];
  test.each(refused)('%s: encodeValue throws', (_, value) => {
    expect(() => encodeValue(value)).toThrow();
  });

  test('symbol keys of objects are skipped, not refused', () => {
    expect(roundTrip({ a: 1, [Symbol('s')]: 2 })).toEqual({ a: 1 });
  });
});
