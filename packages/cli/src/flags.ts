// Flag values -> typed values, with no I/O: integers and fractions within bounds, durations,
// balancer URLs and JSON. Each mistake becomes a UsageError naming the flag and what it got, so
// every command refuses bad input the same way (exit 2, one line). args.ts composes these.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
type StrictConfig<O extends OptionsConfig> = {
  args: string[];
  options: O;
  strict: true;
  allowPositionals: true;
};
/** What node:util's parseArgs returns for these options, strict, with positionals. */
export type Parsed<O extends OptionsConfig> = ReturnType<typeof parseArgs<StrictConfig<O>>>;

/** node:util's parse errors are TypeErrors with a multi-line message; keep the first line. */
export function parseFlags<O extends OptionsConfig>(args: string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.split('\n')[0] ?? message);
  }
}

/** An integer flag within [min, max], or `fallback` when absent. */
export function intFlag<F extends number | null>(
  value: string | undefined,
  flag: string,
  range: { readonly min: number; readonly max: number },
  fallback: F,
): number | F {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(parsed)) {
    throw new UsageError(`${flag} must be an integer, got ${JSON.stringify(value)}`);
  }
  if (parsed < range.min || parsed > range.max) {
    throw new UsageError(`${flag} must be between ${range.min} and ${range.max}, got ${parsed}`);
  }
  return parsed;
}

/**
 * A probability in (0, 1]: 0 is refused because a node that is never up makes every figure 0
 * and the "nines" meaningless. `99.9%` is accepted as 0.999, the way availability is quoted.
 */
export function probabilityFlag(value: string, flag: string): number {
  const percent = value.endsWith('%');
  // `99.9e-2` parses to the double nearest 0.999, which dividing 99.9 by 100 does not give.
  const number = percent ? value.slice(0, -1) : value;
  const parsed = /^[\d.]+$/.test(number) ? Number(percent ? `${number}e-2` : number) : Number.NaN;
  if (!(parsed > 0 && parsed <= 1)) {
    const want = 'a probability in (0, 1], e.g. 0.99 or 99%';
    throw new UsageError(`${flag} must be ${want}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

const durationUnitsMs: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000 };

/** `10s`, `500ms`, `2m`, or a bare number of seconds, in ms within [minMs, maxMs]. */
export function durationFlag(
  value: string,
  flag: string,
  range: { readonly minMs: number; readonly maxMs: number },
): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (match === null) {
    throw new UsageError(
      `${flag} must be a duration like 10s, 500ms or 2m, got ${JSON.stringify(value)}`,
    );
  }
  const ms = Math.round(Number(match[1]) * (durationUnitsMs[match[2] ?? 's'] ?? 1_000));
  if (ms < range.minMs || ms > range.maxMs) {
    const bounds = `${range.minMs} ms and ${range.maxMs / 1_000} s`;
    throw new UsageError(`${flag} must be between ${bounds}, got ${JSON.stringify(value)}`);
  }
  return ms;
}

/** One of a fixed set of words. */
export function choiceFlag<T extends string>(
  value: string | undefined,
  flag: string,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  const found = choices.find((choice) => choice === value);
  if (found === undefined) {
    throw new UsageError(
      `${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return found;
}

/** A JSON value from the command line; the hint covers the usual slip (an unquoted string). */
export function parseJsonValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const hint = `quote strings as JSON, e.g. '"${text}"'`;
    throw new UsageError(`VALUE must be JSON, got ${JSON.stringify(text)} (${hint})`);
  }
}

/** A balancer URL: ws(s):// for clients, http(s):// accepted too (same port). */
export function balancerFlag(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^(wss?|https?):\/\/[^\s/]+(\/.*)?$/.test(value)) {
    throw new UsageError(`--balancer must be ws://host:port, got ${JSON.stringify(value)}`);
  }
  return value;
}
