// Logging: pino everywhere, a child logger per component, per actor and per peer. Library code
// never writes to the console; the host chooses the levels (TROUPE_LOG_LEVEL, a spec that can
// set one component apart), the format (JSON, or pretty on a terminal) and the destination.
// The spec rides on the root logger, so code deep inside gets its component's level from the
// logger it was handed, without a registry or a global (docs/logging.md).
import { type DestinationStream, type Level, type Logger, pino } from 'pino';
import { build as prettyStream } from 'pino-pretty';
import { TroupeError } from './errors.js';

export type { Logger } from 'pino';

/** A pino level, or `silent` to drop everything. */
export type LogLevel = Level | 'silent';

/** `json`: one JSON object per line (files, pipes, log shippers); `pretty`: for a person. */
export type LogFormat = 'json' | 'pretty';

/** A parsed level spec: the default level and the components that differ from it. */
export interface LogLevels {
  readonly default: LogLevel;
  readonly components: ReadonlyMap<string, LogLevel>;
}

/** A malformed level spec or log format (a flag or TROUPE_LOG_LEVEL / TROUPE_LOG_FORMAT). */
export class LogConfigError extends TroupeError {
  override readonly name = 'LogConfigError';
  constructor(message: string) {
    super('TROUPE_ERR_LOG_CONFIG', message);
  }
}

/** The components the runtime itself logs under; hosts add their own. */
export const runtimeLogComponents = ['actor', 'transport'] as const;

const logLevels: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const allLevels: readonly LogLevel[] = [...logLevels, 'silent'];
const componentPattern = /^[a-z][a-z0-9-]{0,31}$/;

/** `component` names the entry in the message when the level is a component's. */
function levelOf(text: string, component?: string): LogLevel {
  const level = allLevels.find((l) => l === text);
  if (level === undefined) {
    const where = component === undefined ? '' : `${component}: `;
    throw new LogConfigError(`${where}unknown level "${text}" (${allLevels.join(', ')})`);
  }
  return level;
}

/**
 * Parses `info,transport=debug,raft=warn`: the bare level is the default (info when absent),
 * `component=level` sets one component. With `known`, a component outside it is refused, so a
 * misspelt name fails at start instead of silently changing nothing.
 */
export function parseLogLevels(spec: string, known?: readonly string[]): LogLevels {
  let defaultLevel: LogLevel | undefined;
  const components = new Map<string, LogLevel>();
  const items = spec.split(',').map((item) => item.trim());
  if (items.every((item) => item === '')) throw new LogConfigError('empty log level spec');
  for (const item of items) {
    if (item === '') throw new LogConfigError(`empty entry in log level spec "${spec}"`);
    const equals = item.indexOf('=');
    if (equals < 0) {
      if (defaultLevel !== undefined) {
        throw new LogConfigError(`"${spec}" gives two default levels; one bare level at most`);
      }
      defaultLevel = levelOf(item);
      continue;
    }
    const name = item.slice(0, equals).trim();
    if (!componentPattern.test(name)) {
      throw new LogConfigError(`bad component name "${name}" in "${item}"`);
    }
    if (known !== undefined && !known.includes(name)) {
      throw new LogConfigError(`unknown log component "${name}" (known: ${known.join(', ')})`);
    }
    if (components.has(name)) throw new LogConfigError(`"${spec}" sets ${name} twice`);
    components.set(name, levelOf(item.slice(equals + 1).trim(), name));
  }
  return { default: defaultLevel ?? 'info', components };
}

/** `json` or `pretty`; anything else is a LogConfigError. */
export function parseLogFormat(text: string): LogFormat {
  if (text === 'json' || text === 'pretty') return text;
  throw new LogConfigError(`log format must be json or pretty, got "${text}"`);
}

/**
 * The format to write in: the explicit one, else TROUPE_LOG_FORMAT, else pretty only when the
 * destination is a terminal. Files and pipes (a supervisor, `troupe up`) stay JSON for tools.
 */
export function chooseLogFormat(
  explicit: LogFormat | undefined,
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean,
): LogFormat {
  if (explicit !== undefined) return explicit;
  const fromEnv = env.TROUPE_LOG_FORMAT;
  if (fromEnv !== undefined && fromEnv !== '') return parseLogFormat(fromEnv);
  return isTTY ? 'pretty' : 'json';
}

/** What a process's flags and environment ask of its logs, checked. */
export interface LogSettings {
  /** A level spec that parses against the process's components. */
  readonly level: string;
  /** null: neither asked for one, so pretty on a terminal and JSON otherwise. */
  readonly format: LogFormat | null;
}

/**
 * `--log-level` over TROUPE_LOG_LEVEL over `info`, and `--log-format` over TROUPE_LOG_FORMAT;
 * throws LogConfigError naming the flag or variable that is wrong.
 */
export function logSettingsFrom(
  flags: { readonly level?: string | undefined; readonly format?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
  known: readonly string[],
): LogSettings {
  const named = <T>(name: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof LogConfigError)) throw error;
      throw new LogConfigError(`${name}: ${error.message}`);
    }
  };
  const envLevel = env.TROUPE_LOG_LEVEL === '' ? undefined : env.TROUPE_LOG_LEVEL;
  const level = flags.level ?? envLevel ?? 'info';
  const levelFrom = flags.level === undefined ? 'TROUPE_LOG_LEVEL' : '--log-level';
  named(levelFrom, () => parseLogLevels(level, known));
  const envFormat = env.TROUPE_LOG_FORMAT === '' ? undefined : env.TROUPE_LOG_FORMAT;
  const format = flags.format ?? envFormat;
  const formatFrom = flags.format === undefined ? 'TROUPE_LOG_FORMAT' : '--log-format';
  return {
    level,
    format: format === undefined ? null : named(formatFrom, () => parseLogFormat(format)),
  };
}

export interface LoggerOptions {
  /** A level spec (`info,transport=debug`) or a parsed one; defaults to TROUPE_LOG_LEVEL. */
  level?: string | LogLevels;
  /** Defaults to TROUPE_LOG_FORMAT, else pretty when the destination is a terminal. */
  format?: LogFormat;
  /** Bound into every line, e.g. `{ nodeId }`. */
  base?: Record<string, unknown>;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
  /** Whether the destination is a terminal; defaults to stdout's isTTY (tests inject it). */
  isTTY?: boolean;
  /** Where TROUPE_LOG_LEVEL and TROUPE_LOG_FORMAT are read; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Pino children are `Object.create(parent)`: a property on the root reaches every child. */
const levelsKey = Symbol('troupe.logLevels');
type SpecCarrier = Logger & { [levelsKey]?: LogLevels };

/** Human lines for a terminal, written synchronously (no worker thread to lose lines on exit). */
function prettyDestination(destination: DestinationStream | undefined, colorize: boolean) {
  return prettyStream({
    sync: true,
    colorize,
    destination: destination ?? 1,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: true,
  });
}

/**
 * The process's root logger. Get component loggers from it with `componentLogger`; use
 * `silentLogger()` in tests and libraries that must stay quiet.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const fromEnv = env.TROUPE_LOG_LEVEL === '' ? undefined : env.TROUPE_LOG_LEVEL;
  const spec = options.level ?? fromEnv ?? 'info';
  const levels = typeof spec === 'string' ? parseLogLevels(spec) : spec;
  const isTTY =
    options.isTTY ?? (options.destination === undefined && process.stdout.isTTY === true);
  const format = chooseLogFormat(options.format, env, isTTY);
  const pinoOptions = { level: levels.default, base: options.base ?? null };
  const logger: SpecCarrier =
    format === 'pretty'
      ? pino(pinoOptions, prettyDestination(options.destination, isTTY))
      : options.destination === undefined
        ? pino(pinoOptions)
        : pino(pinoOptions, options.destination);
  Object.defineProperty(logger, levelsKey, { value: levels });
  return logger;
}

/**
 * `parent.child({ component })` at the level the root's spec gives that component; without
 * one (or under a logger that carries no spec, such as `silentLogger()`), the parent's level.
 * Pass the process's root: components do not nest.
 */
export function componentLogger(parent: Logger, component: string): Logger {
  const level = (parent as SpecCarrier)[levelsKey]?.components.get(component);
  return level === undefined ? parent.child({ component }) : parent.child({ component }, { level });
}

/** A logger that drops everything, its component loggers included. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
