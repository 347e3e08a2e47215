// Typed reads of untrusted, msgpack-decoded values for the Raft wire decoder. A reader never
// throws: a bad value records the first fault (with the path of the value) and yields a
// harmless placeholder, so a validator reads every field straight through and checks
// `reader.fault` once at the end instead of threading a result through each read.
import { isValidNodeId } from '../raft/options.js';

/** A plain object as msgpack decodes a map; reads go through `own` only. */
export type WireObject = Readonly<Record<string, unknown>>;

const emptyObject: WireObject = Object.freeze({});
const emptyBytes = new Uint8Array(0);
const emptyArray: readonly unknown[] = Object.freeze([]);
const describedCharsMax = 40;

/** Group ids: the meta group or a shard `s<n>` (n up to four digits). */
export const groupIdPattern = /^(meta|s\d{1,4})$/;

export function isGroupId(value: unknown): value is string {
  return typeof value === 'string' && groupIdPattern.test(value);
}

export function isPlainObject(value: unknown): value is WireObject {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !ArrayBuffer.isView(value) &&
    !(value instanceof Map)
  );
}

/** An own property only: an inherited one (`constructor`, say) never counts as present. */
export function own(obj: WireObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** A short, never-throwing description of an untrusted value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  switch (typeof value) {
    case 'string': {
      const shown =
        value.length > describedCharsMax ? `${value.slice(0, describedCharsMax)}…` : value;
      return JSON.stringify(shown);
    }
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return String(value);
    default:
      return `a value of type ${typeof value}`;
  }
}

/**
 * msgpackr decodes bytes as Node Buffers (views into the frame); the core speaks plain
 * Uint8Array, so a Buffer becomes a plain view of the same memory (no copy).
 */
function plainBytes(value: Uint8Array): Uint8Array {
  if (Object.getPrototypeOf(value) === Uint8Array.prototype) return value;
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function joinPath(prefix: string, key: string | number): string {
  if (typeof key === 'number') return `${prefix}[${key}]`;
  if (key === '') return prefix;
  return prefix === '' ? key : `${prefix}.${key}`;
}

/**
 * Reads values at paths below `where` (for example `msgs[3]`). Paths are joined only on a
 * fault, so a valid batch costs no string building per field.
 */
export class WireReader {
  where = '';
  private firstFault: string | null = null;

  /** The first fault recorded, as `<where>: <path>: <problem>`; null while all is well. */
  get fault(): string | null {
    return this.firstFault;
  }

  fail(prefix: string, key: string | number, problem: string): void {
    if (this.firstFault !== null) return;
    const path = joinPath(prefix, key);
    this.firstFault =
      path === '' ? `${this.where}: ${problem}` : `${this.where}: ${path}: ${problem}`;
  }

  object(value: unknown, prefix: string, key: string | number): WireObject {
    if (isPlainObject(value)) return value;
    this.fail(prefix, key, `expected an object, got ${describe(value)}`);
    return emptyObject;
  }

  array(
    value: unknown,
    prefix: string,
    key: string | number,
    lengthMax: number,
  ): readonly unknown[] {
    if (!Array.isArray(value)) {
      this.fail(prefix, key, `expected an array, got ${describe(value)}`);
      return emptyArray;
    }
    if (value.length > lengthMax) {
      this.fail(prefix, key, `${value.length} elements exceed the bound of ${lengthMax}`);
      return emptyArray;
    }
    return value;
  }

  /** A fixed-length tuple: shorter (truncated) and longer ones are both refused. */
  tuple(value: unknown, prefix: string, key: string | number, length: number): readonly unknown[] {
    if (Array.isArray(value) && value.length === length) return value;
    this.fail(prefix, key, `expected a tuple of ${length}, got ${describe(value)}`);
    return Array.from({ length }, () => undefined);
  }

  /** A term, an index, a byte offset or a tick: a non-negative safe integer. */
  index(value: unknown, prefix: string, key: string | number): number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value + 0;
    this.fail(prefix, key, `expected a non-negative integer, got ${describe(value)}`);
    return 0;
  }

  bool(value: unknown, prefix: string, key: string | number): boolean {
    if (typeof value === 'boolean') return value;
    this.fail(prefix, key, `expected a boolean, got ${describe(value)}`);
    return false;
  }

  bytes(value: unknown, prefix: string, key: string | number, bytesMax: number): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      this.fail(prefix, key, `expected bytes, got ${describe(value)}`);
      return emptyBytes;
    }
    if (value.byteLength > bytesMax) {
      this.fail(prefix, key, `${value.byteLength} bytes exceed the bound of ${bytesMax}`);
      return emptyBytes;
    }
    return plainBytes(value);
  }

  bytesOrNull(
    value: unknown,
    prefix: string,
    key: string | number,
    bytesMax: number,
  ): Uint8Array | null {
    return value === null ? null : this.bytes(value, prefix, key, bytesMax);
  }

  nodeId(value: unknown, prefix: string, key: string | number): string {
    if (typeof value === 'string' && isValidNodeId(value)) return value;
    this.fail(prefix, key, `expected a node id, got ${describe(value)}`);
    return '';
  }

  groupId(value: unknown, prefix: string, key: string | number): string {
    if (isGroupId(value)) return value;
    this.fail(prefix, key, `expected a group id (meta or s<n>), got ${describe(value)}`);
    return '';
  }

  oneOf<T extends string>(
    value: unknown,
    allowed: readonly T[],
    prefix: string,
    key: string | number,
  ): T {
    const found = allowed.find((candidate) => candidate === value);
    if (found !== undefined) return found;
    this.fail(prefix, key, `expected one of ${allowed.join('|')}, got ${describe(value)}`);
    return allowed[0]!;
  }
}
