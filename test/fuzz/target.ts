// What a fuzz target is and the properties every one of them checks. A target drives one
// decoder or validator of untrusted input at the entry point the network or disk path calls,
// with bytes that are valid, mutated or random; the runner (runner.ts) times each case.
import { TroupeError } from '@troupe/runtime';
import type fc from 'fast-check';
import { type Codec, fuzzBytes } from './mutate.js';

/** A valid input and the value decoding it must give back (the round-trip property). */
export interface Sample {
  readonly bytes: Uint8Array;
  readonly value: unknown;
}

export interface FuzzTarget {
  readonly name: string;
  /** The real entry point driven, for reports and docs. */
  readonly entry: string;
  /** Random, valid and mutated inputs (mutate.ts). */
  readonly arbitrary: fc.Arbitrary<Uint8Array>;
  /** Valid inputs made by the real encoder, with the value each encodes. */
  readonly valid: fc.Arbitrary<Sample>;
  /** Checks the properties for one input; throws FuzzViolation when one breaks. */
  run(input: Uint8Array): void | Promise<void>;
  /** Checks that a valid sample decodes to its value; throws FuzzViolation otherwise. */
  roundTrip(sample: Sample): void | Promise<void>;
}

/** A broken fuzz property: the decoder crashed, hung, overran a bound or lost a value. */
export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
}

/** Builds a target whose inputs are valid samples of `valid`, mutated as `codec` allows. */
export function defineTarget(
  spec: Omit<FuzzTarget, 'arbitrary'> & { readonly codec: Codec },
): FuzzTarget {
  const { codec, ...rest } = spec;
  return {
    ...rest,
    arbitrary: fuzzBytes(
      spec.valid.map((s) => s.bytes),
      codec,
    ),
  };
}

export function violation(message: string): never {
  throw new FuzzViolation(message);
}

/** A typed error: a TroupeError subclass with a stable `TROUPE_ERR_*` code. */
export function isTypedError(error: unknown): error is TroupeError {
  return (
    error instanceof TroupeError &&
    typeof error.code === 'string' &&
    /^TROUPE_ERR_[A-Z0-9_]+$/.test(error.code) &&
    error.message.length > 0
  );
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return `non-Error thrown: ${String(error)}`;
}

/**
 * Runs a decoder that reports bad input by throwing: it must return, or throw a typed error
 * (`accept` narrows which classes). Returns the value, or undefined when it refused.
 */
export function expectTypedThrow<T>(
  decode: () => T,
  accept: (error: TroupeError) => boolean = () => true,
): { ok: true; value: T } | { ok: false; error: TroupeError } {
  try {
    return { ok: true, value: decode() };
  } catch (error) {
    if (error instanceof FuzzViolation) throw error;
    if (isTypedError(error) && accept(error)) return { ok: false, error };
    return violation(`untyped error escaped the decoder: ${describeError(error)}`);
  }
}

/** Runs a decoder that reports bad input as a value: it must never throw at all. */
export function expectNoThrow<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof FuzzViolation) throw error;
    return violation(`the decoder threw: ${describeError(error)}`);
  }
}

/** A refusal's reason must say something, boundedly. */
export function checkReason(reason: unknown, charsMax = 4_096): void {
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > charsMax) {
    violation(`refusal without a clear reason: ${String(reason).slice(0, 200)}`);
  }
}

/** Deep equality for round trips; views compare by bytes, whatever their class. */
export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) {
    violation(
      `${what}: round trip changed the value\n  got:      ${show(actual)}\n  expected: ${show(expected)}`,
    );
  }
}

function show(value: unknown): string {
  return (
    JSON.stringify(value, (_k, v: unknown) =>
      v instanceof Uint8Array ? `bytes(${Buffer.from(v).toString('hex')})` : v,
    )?.slice(0, 2_000) ?? String(value)
  );
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) return false;
  const aKeys = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bKeys = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (aKeys.length !== bKeys.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return aKeys.every((k) => Object.hasOwn(rb, k) && deepEqual(ra[k], rb[k]));
}
