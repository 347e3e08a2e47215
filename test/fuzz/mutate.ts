// Mutation arbitraries: turn valid encoded inputs into the near-misses a decoder must refuse
// cleanly. Byte mutations (flip, set, truncate, extend, insert, delete, duplicate, huge length
// headers, msgpack extension snippets such as a self-referencing array) work on any format;
// value mutations decode a valid msgpack or JSON input, swap one part for a value of another
// type (or drop, add or duplicate one) and encode it again, so the result is well-formed but
// wrong. Each mutation is plain data, so fast-check shrinks and replays it.
import fc from 'fast-check';
import { Packr } from 'msgpackr';

export type Codec = 'msgpack' | 'json' | 'raw';

// A separate packer: encoding never affects the decoders' own instances.
const packr = new Packr({ useRecords: false });

/** Bytes that change a msgpack header's meaning (types, lengths, the unused 0xc1). */
const interestingBytes = [
  0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc6, 0xc7, 0xc9,
  0xca, 0xcb, 0xcf, 0xd3, 0xd4, 0xd6, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff,
];

/** Headers announcing 2^32 - 1 (or 2^16 - 1) elements or bytes that are not there. */
const hugeHeaders: readonly number[][] = [
  [0xdd, 0xff, 0xff, 0xff, 0xff],
  [0xdf, 0xff, 0xff, 0xff, 0xff],
  [0xc6, 0xff, 0xff, 0xff, 0xff],
  [0xdb, 0xff, 0xff, 0xff, 0xff],
  [0xc9, 0xff, 0xff, 0xff, 0xff, 0x42],
  [0xdc, 0xff, 0xff],
  [0xde, 0xff, 0xff],
];

/** msgpackr extensions a peer may send: cycles, dangling pointers, dates, errors, ... */
const snippets: readonly number[][] = [
  [0xd6, 0x69, 0, 0, 0, 1, 0x91, 0xd6, 0x70, 0, 0, 0, 1], // an array holding itself
  [0xd6, 0x69, 0, 0, 0, 2, 0x92, 0xc0, 0xd6, 0x70, 0, 0, 0, 2],
  [0xd6, 0x70, 0, 0, 0, 9], // a pointer to nothing
  [0xd4, 0x00, 0x00], // undefined
  [0xc1],
  [0xd6, 0xff, 0, 0, 0, 1], // a date
  [0xd4, 0x65, 0x00], // an error built from a positive fixint
  [0xd4, 0x78, 0x90], // a RegExp from an empty array
  [0xd5, 0x74, 0x01, 0x00], // a typed array
  [0xd5, 0x42, 0xff, 0xff], // a bigint
  [0xd4, 0x73, 0x90], // a set
  [0x81, 0xa8, ...Buffer.from('toString'), 0x01], // { toString: 1 }
  [0x81, 0xa9, ...Buffer.from('__proto__'), 0x80],
  [0x81, 0xab, ...Buffer.from('constructor'), 0x01],
  [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], // NaN
  [0xcb, 0x80, 0, 0, 0, 0, 0, 0, 0], // -0
];

type ByteOp =
  | { readonly op: 'flip'; readonly at: number; readonly bit: number }
  | { readonly op: 'set'; readonly at: number; readonly byte: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'extend'; readonly bytes: Uint8Array }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly length: number }
  | { readonly op: 'duplicate'; readonly at: number; readonly length: number; readonly to: number }
  | { readonly op: 'header'; readonly at: number; readonly which: number; readonly over: boolean }
  | { readonly op: 'snippet'; readonly at: number; readonly which: number; readonly over: boolean };

const at = fc.nat();
const someBytes = fc.uint8Array({ minLength: 1, maxLength: 16 });

const byteOpArb: fc.Arbitrary<ByteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip'), at, bit: fc.nat(7) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('set'),
      at,
      byte: fc.oneof(fc.constantFrom(...interestingBytes), fc.nat(255)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('truncate'), at }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('extend'), bytes: someBytes }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert'), at, bytes: someBytes }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('delete'), at, length: fc.integer({ min: 1, max: 8 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('duplicate'),
      at,
      length: fc.integer({ min: 1, max: 64 }),
      to: at,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('header'),
      at,
      which: fc.nat(hugeHeaders.length - 1),
      over: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('snippet'),
      at,
      which: fc.nat(snippets.length - 1),
      over: fc.boolean(),
    }),
  },
);

function splice(input: Uint8Array, from: number, remove: number, add: ArrayLike<number>) {
  const out = new Uint8Array(input.length - remove + add.length);
  out.set(input.subarray(0, from), 0);
  out.set(add, from);
  out.set(input.subarray(from + remove), from + add.length);
  return out;
}

/** Applies one byte mutation; positions wrap around the input's length. */
export function applyByteOp(input: Uint8Array, m: ByteOp): Uint8Array {
  const size = input.length;
  const pos = (n: number): number => (size === 0 ? 0 : n % size);
  switch (m.op) {
    case 'flip':
    case 'set': {
      if (size === 0) return input;
      const out = Uint8Array.from(input);
      const i = pos(m.at);
      out[i] = m.op === 'flip' ? out[i]! ^ (1 << m.bit) : m.byte;
      return out;
    }
    case 'truncate':
      return input.slice(0, pos(m.at));
    case 'extend':
      return splice(input, size, 0, m.bytes);
    case 'insert':
      return splice(input, pos(m.at), 0, m.bytes);
    case 'delete': {
      const from = pos(m.at);
      return splice(input, from, Math.min(m.length, size - from), []);
    }
    case 'duplicate': {
      const from = pos(m.at);
      return splice(input, pos(m.to), 0, input.slice(from, from + m.length));
    }
    case 'header':
    case 'snippet': {
      const add = m.op === 'header' ? hugeHeaders[m.which]! : snippets[m.which]!;
      const from = pos(m.at);
      return splice(input, from, m.over ? Math.min(add.length, size - from) : 0, add);
    }
  }
}

/** Maps that break code which stringifies or indexes with what it was sent. */
const hostileMaps = (): unknown[] => [
  { toString: 1 },
  { valueOf: 1, toString: 'x' },
  { constructor: 1 },
  { __proto__: null, hasOwnProperty: 1 },
];

/** Values of the wrong type, size or shape for wherever they land. */
const weirdValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.nat(3).map((i) => hostileMaps()[i]) },
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    -0,
    0.5,
    1e300,
    -1e300,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 32,
    2 ** 64,
    -(2 ** 63),
    '',
    '\u0000',
    '\ud800',
    'é'.repeat(300),
    'toString',
    '__proto__',
    'constructor',
    'hasOwnProperty',
    'meta',
    's0',
    [],
    {},
    new Uint8Array(0),
    new Uint8Array(300),
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 80 }),
  fc.uint8Array({ maxLength: 80 }),
  fc.nat(70).map((depth) => {
    let nested: unknown = 1;
    for (let i = 0; i < depth; i++) nested = [nested];
    return nested;
  }),
  fc.integer({ min: 0, max: 2_000 }).map((n) => new Array<number>(n).fill(0)),
  fc.anything({ maxDepth: 2, withBigInt: true, withTypedArray: true, withNullPrototype: true }),
);

type ValueOp =
  | { readonly op: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly op: 'remove'; readonly at: number }
  | { readonly op: 'add'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly op: 'copy'; readonly at: number; readonly to: number };

const valueOpArb: fc.Arbitrary<ValueOp> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('replace'), at, value: weirdValueArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove'), at }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('add'),
      at,
      key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('type', 'op', 'toString')),
      value: weirdValueArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copy'), at, to: at }) },
);

type Container = unknown[] | Record<string, unknown>;
interface Slot {
  readonly parent: Container;
  readonly key: string | number;
}

/** Every slot (array index or map key) of a decoded value, the root's children first. */
function slotsOf(root: unknown): Slot[] {
  const slots: Slot[] = [];
  const queue: unknown[] = [root];
  while (queue.length > 0 && slots.length < 4_096) {
    const value = queue.shift();
    if (Array.isArray(value)) {
      value.forEach((item, key) => {
        slots.push({ parent: value, key });
        queue.push(item);
      });
    } else if (isMap(value)) {
      for (const key of Object.keys(value)) {
        slots.push({ parent: value, key });
        queue.push(value[key]);
      }
    }
  }
  return slots;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
}

function setSlot(slot: Slot, value: unknown): void {
  (slot.parent as Record<string | number, unknown>)[slot.key] = value;
}

function applyValueOp(root: unknown, m: ValueOp): unknown {
  const slots = slotsOf(root);
  if (slots.length === 0) return m.op === 'replace' ? m.value : root;
  const slot = slots[m.at % slots.length]!;
  const current = (slot.parent as Record<string | number, unknown>)[slot.key];
  if (m.op === 'replace') setSlot(slot, m.value);
  if (m.op === 'copy') setSlot(slots[m.to % slots.length]!, current);
  if (m.op === 'remove') {
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else delete slot.parent[slot.key];
  }
  if (m.op === 'add') {
    const target = isMap(current) ? current : slot.parent;
    if (Array.isArray(target)) target.push(m.value);
    else target[m.key] = m.value;
  }
  return root;
}

function decodeWith(codec: Codec, bytes: Uint8Array): unknown {
  if (codec === 'json') return JSON.parse(Buffer.from(bytes).toString('utf8'));
  return packr.unpack(bytes);
}

function encodeWith(codec: Codec, value: unknown): Uint8Array {
  if (codec === 'json') {
    const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
    return Buffer.from(text ?? 'null', 'utf8');
  }
  return Uint8Array.from(packr.pack(value));
}

/** Applies value mutations to a valid input; falls back to the input if it cannot. */
export function applyValueOps(codec: Codec, input: Uint8Array, ops: readonly ValueOp[]) {
  if (codec === 'raw') return input;
  try {
    let value = decodeWith(codec, input);
    for (const m of ops) value = applyValueOp(value, m);
    return encodeWith(codec, value);
  } catch {
    return input;
  }
}

/**
 * Inputs for a decoder: valid ones, byte-mutated ones, value-mutated ones (then maybe
 * byte-mutated too) and plain random bytes.
 */
export function fuzzBytes(valid: fc.Arbitrary<Uint8Array>, codec: Codec): fc.Arbitrary<Uint8Array> {
  const byteOps = fc.array(byteOpArb, { minLength: 1, maxLength: 4 });
  const valueOps = fc.array(valueOpArb, { minLength: 1, maxLength: 3 });
  const byteMutated = fc
    .tuple(valid, byteOps)
    .map(([bytes, ops]) => ops.reduce(applyByteOp, bytes));
  const valueMutated = fc
    .tuple(valid, valueOps, fc.option(byteOps, { freq: 4 }))
    .map(([bytes, ops, after]) => {
      const mutated = applyValueOps(codec, bytes, ops);
      return after === null ? mutated : after.reduce(applyByteOp, mutated);
    });
  return fc.oneof(
    { weight: 1, arbitrary: valid },
    { weight: 4, arbitrary: byteMutated },
    { weight: codec === 'raw' ? 0 : 4, arbitrary: valueMutated },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  );
}
