// Command-line arguments -> one `Command` value, with no I/O: every mistake becomes a
// UsageError naming the argument (exit 2), so main.ts can print one line and stop before
// touching a process or a socket. Flag values are parsed by flags.ts. Unit-tested in
// packages/cli/test/args.test.ts.
import { chaosFlags } from './chaos-flags.js';
import { UsageError } from './errors.js';
import {
  balancerFlag,
  choiceFlag,
  durationFlag,
  intFlag,
  type OptionsConfig,
  type Parsed,
  parseFlags,
  parseJsonValue,
  probabilityFlag,
} from './flags.js';
import {
  availabilityUsage,
  benchUsage,
  chaosUsage,
  createUsage,
  defaultBalancerPort,
  defaultDataDir,
  defaultKeyPrefix,
  deleteUsage,
  getUsage,
  statusUsage,
  tokenUsage,
  topUsage,
  updateUsage,
  upUsage,
} from './help.js';
import {
  checkTokenClaims,
  defaultTokenSubject,
  defaultTokenTtl,
  type TokenCommand,
  ttlFlag,
} from './token-command.js';

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

/** The flags every command that talks to a running cluster shares. */
export interface TargetFlags {
  /** null: take it from the data dir's cluster.json, else the default port. */
  readonly balancer: string | null;
  readonly dataDir: string;
  readonly timeoutMs: number;
  readonly json: boolean;
  /** --tls-ca: the CA file that signed a wss:// / https:// balancer's certificate. */
  readonly tlsCa?: string;
  /** --token: the client token to present (else TROUPE_CLIENT_TOKEN, read when connecting). */
  readonly token?: string;
}

export interface KvCommand extends TargetFlags {
  readonly kind: 'kv';
  readonly op: KvOp;
  readonly key: string;
  /** The parsed JSON value of update/create; undefined for get/delete. */
  readonly value: unknown;
}

export interface StatusCommand extends TargetFlags {
  readonly kind: 'status';
}

export interface AvailabilityCommand {
  readonly kind: 'availability';
  readonly p: number;
  readonly n: number;
  /** null: the nodes only, without a balancer tier in front. */
  readonly tier: { readonly balancers: number; readonly balancerP: number } | null;
  readonly json: boolean;
}

export const benchOps = ['write', 'read', 'stale-read', 'mixed'] as const;
export type BenchOp = (typeof benchOps)[number];

export interface BenchCommand extends TargetFlags {
  readonly kind: 'bench';
  readonly op: BenchOp;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly keyPrefix: string;
  readonly seed: number;
}

export interface ChaosCommand {
  readonly kind: 'chaos';
  /** Passed to the harness unchanged. */
  readonly args: readonly string[];
}

export interface HelpCommand {
  readonly kind: 'help';
  readonly text: string;
}

export type Command =
  | UpCommand
  | KvCommand
  | StatusCommand
  | AvailabilityCommand
  | BenchCommand
  | ChaosCommand
  | TokenCommand
  | HelpCommand;

export const defaults = {
  nodes: 3,
  balancers: 1,
  shards: 16,
  timeoutMs: 5_000,
  basePort: defaultBalancerPort,
  benchConcurrency: 16,
  benchDurationMs: 10_000,
  benchWarmupMs: 1_000,
  benchKeys: 1_000,
  benchValueBytes: 100,
} as const;

const help = { help: { type: 'boolean' } } as const;

const targetOptions = {
  balancer: { type: 'string' },
  data: { type: 'string' },
  'timeout-ms': { type: 'string' },
  json: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  token: { type: 'string' },
  ...help,
} as const;

const tokenOptions = {
  'key-file': { type: 'string' },
  ttl: { type: 'string' },
  prefix: { type: 'string' },
  'read-only': { type: 'boolean' },
  subject: { type: 'string' },
  json: { type: 'boolean' },
  ...help,
} as const;

const upOptions = {
  nodes: { type: 'string' },
  balancers: { type: 'string' },
  shards: { type: 'string' },
  'base-port': { type: 'string' },
  data: { type: 'string' },
  json: { type: 'boolean' },
  ...help,
} as const;

const availabilityOptions = {
  p: { type: 'string' },
  n: { type: 'string' },
  balancers: { type: 'string' },
  'balancer-p': { type: 'string' },
  json: { type: 'boolean' },
  ...help,
} as const;

const benchOptions = {
  op: { type: 'string' },
  concurrency: { type: 'string' },
  duration: { type: 'string' },
  'duration-ms': { type: 'string' },
  'warmup-ms': { type: 'string' },
  keys: { type: 'string' },
  'value-bytes': { type: 'string' },
  'key-prefix': { type: 'string' },
  seed: { type: 'string' },
  ...targetOptions,
} as const;

const kvUsage: Readonly<Record<KvOp, string>> = {
  get: getUsage,
  update: updateUsage,
  create: createUsage,
  delete: deleteUsage,
};

/**
 * A command that takes flags and no positional arguments: `--help` gives its usage, anything
 * positional is refused by name, and `build` turns the flags into the command.
 */
function flagCommand<O extends OptionsConfig & typeof help>(
  name: string,
  args: string[],
  options: O,
  usage: string,
  build: (values: Parsed<O>['values']) => Command,
): Command {
  const { values, positionals } = parseFlags(args, options);
  if ('help' in values && values.help === true) return { kind: 'help', text: usage };
  if (positionals.length > 0) {
    throw new UsageError(`${name} takes no arguments, got ${JSON.stringify(positionals[0])}`);
  }
  return build(values);
}

function parseKv(op: KvOp, args: string[]): Command {
  const { values, positionals } = parseFlags(args, targetOptions);
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

function targetFlags(values: Parsed<typeof targetOptions>['values']): TargetFlags {
  return {
    balancer: balancerFlag(values.balancer),
    ...(values['tls-ca'] === undefined ? {} : { tlsCa: values['tls-ca'] }),
    ...(values.token === undefined ? {} : { token: values.token }),
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

function upCommand(values: Parsed<typeof upOptions>['values']): UpCommand {
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

function availabilityCommand(
  values: Parsed<typeof availabilityOptions>['values'],
): AvailabilityCommand {
  if (values.p === undefined) throw new UsageError('missing --p (each replica, e.g. --p 0.99)');
  if (values.n === undefined) throw new UsageError('missing --n (replicas, e.g. --n 3)');
  const p = probabilityFlag(values.p, '--p');
  const n = intFlag(values.n, '--n', { min: 1, max: 999 }, 0);
  const balancers = intFlag(values.balancers, '--balancers', { min: 1, max: 99 }, null);
  if (balancers === null && values['balancer-p'] !== undefined) {
    throw new UsageError('--balancer-p needs --balancers (how many balancers)');
  }
  const balancerP =
    values['balancer-p'] === undefined ? p : probabilityFlag(values['balancer-p'], '--balancer-p');
  const tier = balancers === null ? null : { balancers, balancerP };
  return { kind: 'availability', p, n, tier, json: values.json === true };
}

/** --duration or --duration-ms (not both), in ms. */
function benchDurationMs(values: Parsed<typeof benchOptions>['values']): number {
  const range = { minMs: 100, maxMs: 3_600_000 };
  if (values.duration !== undefined && values['duration-ms'] !== undefined) {
    throw new UsageError('give --duration or --duration-ms, not both');
  }
  if (values.duration !== undefined) return durationFlag(values.duration, '--duration', range);
  const ms = { min: range.minMs, max: range.maxMs };
  return intFlag(values['duration-ms'], '--duration-ms', ms, defaults.benchDurationMs);
}

function benchCommand(values: Parsed<typeof benchOptions>['values']): BenchCommand {
  const keyPrefix = values['key-prefix'] ?? defaultKeyPrefix;
  if (keyPrefix.length > 256) throw new UsageError('--key-prefix must be at most 256 characters');
  const int = (flag: keyof typeof values & string, max: number, fallback: number): number =>
    intFlag(values[flag] as string | undefined, `--${flag}`, { min: 1, max }, fallback);
  return {
    kind: 'bench',
    op: choiceFlag(values.op, '--op', benchOps, 'write'),
    concurrency: int('concurrency', 1_024, defaults.benchConcurrency),
    durationMs: benchDurationMs(values),
    warmupMs: intFlag(
      values['warmup-ms'],
      '--warmup-ms',
      { min: 0, max: 60_000 },
      defaults.benchWarmupMs,
    ),
    keys: int('keys', 1_000_000, defaults.benchKeys),
    valueBytes: int('value-bytes', 131_072, defaults.benchValueBytes),
    keyPrefix,
    seed: intFlag(values.seed, '--seed', { min: 0, max: 2_147_483_647 }, 1),
    ...targetFlags(values),
  };
}

/**
 * The harness checks every value; this only refuses flags it does not have (and positional
 * arguments, which it takes none of), so a typo does not start a cluster first.
 */
function parseChaos(args: string[]): Command {
  if (args.includes('--help') || args.includes('-h')) return { kind: 'help', text: chaosUsage };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') continue;
    const name = /^--([^=]+)/.exec(arg)?.[1];
    const flag = chaosFlags.find((f) => f.name === name);
    if (flag === undefined) {
      const what = name === undefined ? 'argument' : 'flag';
      throw new UsageError(`chaos has no ${what} ${JSON.stringify(arg)}: try troupe chaos --help`);
    }
    if (flag.value !== null && !arg.includes('=')) i++;
  }
  return { kind: 'chaos', args };
}

/** `troupe token create --key-file F [--ttl 1h] [--prefix P] [--read-only] [--subject S]`. */
function parseToken(args: string[]): Command {
  const [verb, ...rest] = args;
  if (verb === undefined || verb === '--help' || verb === '-h') {
    return { kind: 'help', text: tokenUsage };
  }
  if (verb !== 'create') {
    throw new UsageError(`unknown token command ${JSON.stringify(verb)}: try troupe token --help`);
  }
  return flagCommand('token create', rest, tokenOptions, tokenUsage, (values) => {
    const keyFile = values['key-file'];
    if (keyFile === undefined) throw new UsageError('missing --key-file (the token key file)');
    const subject = values.subject ?? defaultTokenSubject;
    const prefix = values.prefix ?? null;
    checkTokenClaims(subject, prefix);
    return {
      kind: 'token',
      keyFile,
      ttlMs: ttlFlag(values.ttl ?? defaultTokenTtl),
      subject,
      prefix,
      readOnly: values['read-only'] === true,
      json: values.json === true,
    };
  });
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
      return flagCommand(name, rest, upOptions, upUsage, upCommand);
    case 'get':
    case 'update':
    case 'create':
    case 'delete':
      return parseKv(name, rest);
    case 'status':
      return flagCommand(name, rest, targetOptions, statusUsage, (values) => ({
        kind: 'status',
        ...targetFlags(values),
      }));
    case 'availability':
      return flagCommand(name, rest, availabilityOptions, availabilityUsage, availabilityCommand);
    case 'bench':
      return flagCommand(name, rest, benchOptions, benchUsage, benchCommand);
    case 'chaos':
      return parseChaos(rest);
    case 'token':
      return parseToken(rest);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(name)}: try troupe --help`);
  }
}
