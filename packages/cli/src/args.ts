// Command-line arguments -> one `Command` value, with no I/O: every mistake becomes a
// UsageError naming the argument (exit 2), so main.ts can print one line and stop before
// touching a process or a socket. Unit-tested in packages/cli/test/args.test.ts.
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import {
  createUsage,
  defaultBalancerPort,
  defaultDataDir,
  deleteUsage,
  getUsage,
  statusUsage,
  topUsage,
  updateUsage,
  upUsage,
} from './help.js';

export type KvOp = 'get' | 'update' | 'create' | 'delete';

export interface UpCommand {
  readonly kind: 'up';
  /** null: not given (a first run uses the default; a later run keeps cluster.json's). */
  readonly nodes: number | null;
  readonly balancers: number | null;
  readonly shards: number | null;
  readonly basePort: number;
  readonly dataDir: string;
  readonly json: boolean;
}

export interface KvCommand {
  readonly kind: 'kv';
  readonly op: KvOp;
  readonly key: string;
  /** The parsed JSON value of update/create; undefined for get/delete. */
  readonly value: unknown;
  /** null: take it from the data dir's cluster.json, else the default port. */
  readonly balancer: string | null;
  readonly dataDir: string;
  readonly timeoutMs: number;
  readonly json: boolean;
}

export interface StatusCommand {
  readonly kind: 'status';
  readonly balancer: string | null;
  readonly dataDir: string;
  readonly timeoutMs: number;
  readonly json: boolean;
}

export interface HelpCommand {
  readonly kind: 'help';
  readonly text: string;
}

export type Command = UpCommand | KvCommand | StatusCommand | HelpCommand;

export const defaults = {
  nodes: 3,
  balancers: 1,
  shards: 16,
  timeoutMs: 5_000,
  basePort: defaultBalancerPort,
} as const;

const kvOptions = {
  balancer: { type: 'string' },
  data: { type: 'string' },
  'timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const upOptions = {
  nodes: { type: 'string' },
  balancers: { type: 'string' },
  shards: { type: 'string' },
  'base-port': { type: 'string' },
  data: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const kvUsage: Readonly<Record<KvOp, string>> = {
  get: getUsage,
  update: updateUsage,
  create: createUsage,
  delete: deleteUsage,
};

/** node:util's parse errors are TypeErrors with a multi-line message; keep the first line. */
function strictParse<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(message.split('\n')[0] ?? message);
  }
}

const strict = { strict: true, allowPositionals: true } as const;

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

function parseUp(args: string[]): Command {
  const { values, positionals } = strictParse(() =>
    parseArgs({ args, options: upOptions, ...strict }),
  );
  if (values.help === true) return { kind: 'help', text: upUsage };
  if (positionals.length > 0) {
    throw new UsageError(`up takes no arguments, got ${JSON.stringify(positionals[0])}`);
  }
  return {
    kind: 'up',
    nodes: intFlag(values.nodes, '--nodes', { min: 1, max: 9 }, null),
    balancers: intFlag(values.balancers, '--balancers', { min: 1, max: 5 }, null),
    shards: intFlag(values.shards, '--shards', { min: 1, max: 256 }, null),
    basePort: intFlag(
      values['base-port'],
      '--base-port',
      { min: 1024, max: 64_000 },
      defaults.basePort,
    ),
    dataDir: values.data ?? defaultDataDir,
    json: values.json === true,
  };
}

function parseKv(op: KvOp, args: string[]): Command {
  const { values, positionals } = strictParse(() =>
    parseArgs({ args, options: kvOptions, ...strict }),
  );
  if (values.help === true) return { kind: 'help', text: kvUsage[op] };
  const wantsValue = op === 'update' || op === 'create';
  const expected = wantsValue ? 2 : 1;
  const shape = wantsValue ? `${op} KEY VALUE` : `${op} KEY`;
  if (positionals.length < expected) {
    const missing = positionals.length === 0 ? 'KEY' : 'VALUE';
    throw new UsageError(`missing ${missing}: usage: troupe ${shape}`);
  }
  if (positionals.length > expected) {
    const extra = JSON.stringify(positionals[expected]);
    throw new UsageError(`unexpected argument ${extra}: usage: troupe ${shape}`);
  }
  const key = positionals[0] as string;
  if (key === '') throw new UsageError('KEY must not be empty');
  return {
    kind: 'kv',
    op,
    key,
    value: wantsValue ? parseJsonValue(positionals[1] as string) : undefined,
    ...targetFlags(values),
  };
}

function parseStatus(args: string[]): Command {
  const { values, positionals } = strictParse(() =>
    parseArgs({ args, options: kvOptions, ...strict }),
  );
  if (values.help === true) return { kind: 'help', text: statusUsage };
  if (positionals.length > 0) {
    throw new UsageError(`status takes no arguments, got ${JSON.stringify(positionals[0])}`);
  }
  return {
    kind: 'status',
    ...targetFlags(values),
  };
}

/** The flags every command that talks to a running cluster shares (kv and status). */
function targetFlags(values: {
  readonly balancer?: string;
  readonly data?: string;
  readonly 'timeout-ms'?: string;
  readonly json?: boolean;
}): Omit<StatusCommand, 'kind'> {
  return {
    balancer: balancerFlag(values.balancer),
    dataDir: values.data ?? defaultDataDir,
    timeoutMs: intFlag(
      values['timeout-ms'],
      '--timeout-ms',
      { min: 1, max: 600_000 },
      defaults.timeoutMs,
    ),
    json: values.json === true,
  };
}

/** argv without the node binary and script: `['get', 'k', '--json']`. */
export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help', text: topUsage };
    case 'up':
      return parseUp(rest);
    case 'get':
    case 'update':
    case 'create':
    case 'delete':
      return parseKv(name, rest);
    case 'status':
      return parseStatus(rest);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}: try troupe --help`);
  }
}
