// Checks untrusted key-value requests before anything acts on them. Returns the request
// narrowed to its type, or the typed error that says what is wrong; never throws on bad input.
import { InvalidArgumentError, KeyTooLargeError, ValueTooLargeError } from './errors.js';
import type { KvRequest, SessionTag } from './kv-messages.js';
import { keyBytesMax, sessionIdBytesMax, valueBytesMax } from './limits.js';

export type RequestCheck =
  | { readonly ok: true; readonly request: KvRequest }
  | {
      readonly ok: false;
      readonly error: InvalidArgumentError | KeyTooLargeError | ValueTooLargeError;
    };

const utf8 = new TextEncoder();
// With the u flag a surrogate pair is one code point, so this matches only lone halves.
const loneSurrogate = /[\uD800-\uDFFF]/u;
const sessionIdPattern = /^[\x21-\x7e]+$/;
const knownFields: Readonly<Record<string, readonly string[]>> = {
  get: ['op', 'key', 'consistency'],
  update: ['op', 'key', 'value', 'ifVersion', 'session'],
  create: ['op', 'key', 'value', 'session'],
  delete: ['op', 'key', 'ifVersion', 'session'],
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): RequestCheck {
  return { ok: false, error: new InvalidArgumentError(message) };
}

/** Key and value bounds a receiver enforces: the protocol's, or lower ones it announced. */
export interface RequestLimits {
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
}

const protocolLimits: RequestLimits = { keyBytesMax, valueBytesMax };

/** Byte length of `key` in UTF-8, or an error when it is not a usable key. */
export function checkKey(
  key: unknown,
  limits: RequestLimits = protocolLimits,
): RequestCheck | null {
  if (typeof key !== 'string') return invalid('key must be a string');
  if (key.length === 0) return invalid('key must not be empty');
  // A string of n UTF-16 units takes at most 3n UTF-8 bytes; skip encoding short keys.
  const keyMax = limits.keyBytesMax;
  if (key.length * 3 > keyMax) {
    const bytes = utf8.encode(key).byteLength;
    if (bytes > keyMax) {
      return {
        ok: false,
        error: new KeyTooLargeError(`key is ${bytes} bytes (max ${keyMax})`),
      };
    }
  }
  if (loneSurrogate.test(key)) {
    return invalid('key must be well-formed UTF-16 (no lone surrogates)');
  }
  return null;
}

function checkValue(value: unknown, valueMax: number): RequestCheck | null {
  if (!(value instanceof Uint8Array)) return invalid('value must be bytes (its msgpack encoding)');
  if (value.byteLength > valueMax) {
    const message = `value is ${value.byteLength} bytes (max ${valueMax})`;
    return { ok: false, error: new ValueTooLargeError(message) };
  }
  return null;
}

function isVersion(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isSessionTag(value: unknown): value is SessionTag {
  if (!isRecord(value)) return false;
  const { id, seq } = value;
  return (
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= sessionIdBytesMax &&
    sessionIdPattern.test(id) &&
    typeof seq === 'number' &&
    Number.isSafeInteger(seq) &&
    seq >= 1
  );
}

function checkOptional(message: Record<string, unknown>): RequestCheck | null {
  if (message.ifVersion !== undefined && !isVersion(message.ifVersion)) {
    return invalid('ifVersion must be a non-negative integer');
  }
  if (message.session !== undefined && !isSessionTag(message.session)) {
    return invalid('session must be { id: printable ASCII <= 64, seq: integer >= 1 }');
  }
  const consistency = message.consistency;
  if (consistency !== undefined && consistency !== 'linearizable' && consistency !== 'stale') {
    return invalid("consistency must be 'linearizable' or 'stale'");
  }
  return null;
}

/** Validates one request from the wire, against `limits` (the protocol's by default). */
export function checkRequest(
  message: unknown,
  limits: RequestLimits = protocolLimits,
): RequestCheck {
  if (!isRecord(message)) return invalid('request must be a map');
  const op = message.op;
  // Own keys only ('constructor' is not an op); never JSON a non-string: a bigint throws.
  const fields =
    typeof op === 'string' && Object.hasOwn(knownFields, op) ? knownFields[op] : undefined;
  if (fields === undefined) {
    const shown = typeof op === 'string' ? JSON.stringify(op.slice(0, 40)) : `of type ${typeof op}`;
    return invalid(`unknown operation ${shown}`);
  }
  for (const field of Object.keys(message)) {
    if (!fields.includes(field)) return invalid(`unexpected field ${JSON.stringify(field)}`);
  }
  const keyError = checkKey(message.key, limits);
  if (keyError !== null) return keyError;
  if (op === 'update' || op === 'create') {
    const valueError = checkValue(message.value, limits.valueBytesMax);
    if (valueError !== null) return valueError;
  }
  const optionalError = checkOptional(message);
  if (optionalError !== null) return optionalError;
  return { ok: true, request: message as unknown as KvRequest };
}
