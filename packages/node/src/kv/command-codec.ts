// The bytes of a key-value write in the Raft log. Compact (a msgpack array, field names left
// out, trailing absent fields dropped) because every entry is stored on each replica and sent
// to each follower. Decoding reads our own log, yet checks every field: a damaged entry must
// stop the replica with CorruptEntryError, not reach the state machine half-formed.
import { Packr } from 'msgpackr';
import { CorruptEntryError } from './errors.js';
import type { KvCommand } from './types.js';

/** Records off: plain arrays and maps only, so the bytes do not depend on encoder history. */
export const kvPackr = new Packr({ useRecords: false });

/** msgpack-decodes our own stored bytes; anything unreadable is a CorruptEntryError. */
export function unpackStored(bytes: Uint8Array, what: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new CorruptEntryError(`${what} is not bytes`);
  try {
    return kvPackr.unpack(bytes);
  } catch (error) {
    throw new CorruptEntryError(`${what} is not msgpack: ${String(error)}`, { cause: error });
  }
}

/** A whole number usable as a version or count (0 included). */
export function isNat(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A time in milliseconds: finite and not negative (clocks may give fractions). */
export function isTimeMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** A copy as a plain Uint8Array: decoded bytes may be a view into a buffer reused later. */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Ops as small integers (one byte); also used by snapshots for stored outcomes. */
export const opCodes = { update: 1, create: 2, delete: 3 } as const;
export const opsByCode = [undefined, 'update', 'create', 'delete'] as const;

/** Positions in the encoded array; the first three are always present. */
const field = { op: 0, nowMs: 1, key: 2, value: 3, sessionId: 4, seq: 5, ifVersion: 6 } as const;
const fieldCount = 7;

// Session ids as the protocol accepts them (protocol/validate.ts): printable ASCII, <= 64.
const sessionIdPattern = /^[\x21-\x7e]{1,64}$/;

/** The log bytes of a write. */
export function encodeKvCommand(command: KvCommand): Uint8Array {
  const fields: unknown[] = [
    opCodes[command.op],
    command.nowMs,
    command.key,
    command.value ?? null,
    command.session?.id ?? null,
    command.session?.seq ?? null,
    command.ifVersion ?? null,
  ];
  while (fields.length > 0 && fields[fields.length - 1] === null) fields.pop();
  return kvPackr.pack(fields);
}

/** The write in log bytes written by encodeKvCommand; throws CorruptEntryError otherwise. */
export function decodeKvCommand(bytes: Uint8Array): KvCommand {
  const raw = unpackStored(bytes, 'kv command');
  if (!Array.isArray(raw) || raw.length < field.key + 1 || raw.length > fieldCount) {
    throw new CorruptEntryError('kv command is not an array of 3 to 7 fields');
  }
  const fields = raw as unknown[];
  const opCode = fields[field.op];
  const op = typeof opCode === 'number' ? opsByCode[opCode] : undefined;
  const nowMs = fields[field.nowMs];
  const key = fields[field.key];
  if (op === undefined) throw new CorruptEntryError('kv command has an unknown op');
  if (!isTimeMs(nowMs)) throw new CorruptEntryError('kv command nowMs malformed');
  if (typeof key !== 'string' || key.length === 0) {
    throw new CorruptEntryError('kv command key is not a non-empty string');
  }
  return {
    op,
    key,
    nowMs,
    ...decodeValue(op, fields[field.value] ?? null),
    ...decodeSession(fields[field.sessionId] ?? null, fields[field.seq] ?? null),
    ...decodeIfVersion(fields[field.ifVersion] ?? null),
  };
}

function decodeValue(op: KvCommand['op'], value: unknown): { value?: Uint8Array } {
  if (op === 'delete') {
    if (value !== null) throw new CorruptEntryError('kv delete carries a value');
    return {};
  }
  if (!(value instanceof Uint8Array)) throw new CorruptEntryError(`kv ${op} value is not bytes`);
  return { value: ownBytes(value) };
}

function decodeSession(id: unknown, seq: unknown): Pick<KvCommand, 'session'> {
  if (id === null && seq === null) return {};
  if (typeof id !== 'string' || !sessionIdPattern.test(id)) {
    throw new CorruptEntryError('kv command session id malformed');
  }
  if (!isNat(seq) || seq < 1) throw new CorruptEntryError('kv command session seq malformed');
  return { session: { id, seq } };
}

function decodeIfVersion(ifVersion: unknown): Pick<KvCommand, 'ifVersion'> {
  if (ifVersion === null) return {};
  if (!isNat(ifVersion)) throw new CorruptEntryError('kv command ifVersion malformed');
  return { ifVersion };
}
