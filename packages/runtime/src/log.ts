// Logging: pino everywhere, a child logger per actor and per peer. Library code never writes
// to the console; the host chooses the level (TROUPE_LOG_LEVEL) and destination.
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level; defaults to TROUPE_LOG_LEVEL or 'info'. */
  level?: string;
  /** Bound into every line, e.g. `{ nodeId }`. */
  base?: Record<string, unknown>;
}

/** A JSON logger to stdout; use `silentLogger()` in tests and libraries that must stay quiet. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.TROUPE_LOG_LEVEL ?? 'info';
  return pino({ level, base: options.base ?? null });
}

/** A logger that drops everything. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
