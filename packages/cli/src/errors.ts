// The CLI's typed errors and its exit codes. Every failure the CLI reports is one of these
// classes, with a stable `code` (docs/errors.md style) and the exit code scripts branch on;
// main.ts turns any of them into one line on stderr and that exit code.
import { TroupeError } from '@troupe/runtime/errors';

/** Documented in `troupe --help` and docs/cli.md; never renumber one. */
export const exitCodes = {
  ok: 0,
  /** The operation ran and was refused or failed (conflict, not found, a child died). */
  failed: 1,
  /** Bad arguments: nothing was attempted. */
  usage: 2,
  /** No balancer answered: nothing was attempted, or the outcome is unknown. */
  unreachable: 3,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** Base class: a CLI failure carries the exit code it ends the process with. */
export class CliError extends TroupeError {
  override readonly name: string = 'CliError';
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/** Bad arguments or flags; the message names the argument and what was expected. */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('TROUPE_ERR_CLI_USAGE', message, exitCodes.usage);
  }
}

/** No balancer could be reached (connection refused, nothing listening, timed out). */
export class UnreachableError extends CliError {
  override readonly name = 'UnreachableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_CLI_UNREACHABLE', message, exitCodes.unreachable, options);
  }
}

/** `get` of a key that does not exist. */
export class NotFoundError extends CliError {
  override readonly name = 'NotFoundError';
  constructor(key: string) {
    super('TROUPE_ERR_CLI_NOT_FOUND', `${JSON.stringify(key)} not found`, exitCodes.failed);
  }
}

/** `troupe up` could not start the cluster (a child died, a port is taken, a timeout). */
export class StartupError extends CliError {
  override readonly name = 'StartupError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_CLI_STARTUP', message, exitCodes.failed, options);
  }
}

/** The data dir's cluster.json is unreadable or does not match the flags given. */
export class DataDirError extends CliError {
  override readonly name = 'DataDirError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_CLI_DATA_DIR', message, exitCodes.usage, options);
  }
}

/** `troupe bench` ran, and not one operation of the measured window succeeded. */
export class BenchFailedError extends CliError {
  override readonly name = 'BenchFailedError';
  constructor(message: string) {
    super('TROUPE_ERR_CLI_BENCH_FAILED', message, exitCodes.failed);
  }
}

/** `troupe chaos` outside the Troupe source tree: the harness it runs is not there. */
export class HarnessMissingError extends CliError {
  override readonly name = 'HarnessMissingError';
  constructor(path: string) {
    const why = 'troupe chaos runs the harness of a Troupe source checkout';
    super('TROUPE_ERR_CLI_NO_HARNESS', `no chaos harness at ${path} (${why})`, exitCodes.failed);
  }
}

/** Any error -> the exit code and the one line main.ts prints. */
export function describeFailure(error: unknown): { exitCode: ExitCode; line: string } {
  if (error instanceof CliError) {
    return { exitCode: error.exitCode, line: `${error.message} (${error.code})` };
  }
  if (error instanceof TroupeError) {
    return { exitCode: exitCodes.failed, line: `${error.message} (${error.code})` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: exitCodes.failed, line: message };
}
