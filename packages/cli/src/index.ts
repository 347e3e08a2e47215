// Public surface of @troupe/cli for tests and tools: argument parsing, the cluster file, the
// status renderings and the figures of `troupe availability` and `troupe bench`. The
// executable is src/main.ts.
export {
  type AvailabilityCommand,
  type BenchCommand,
  type BenchOp,
  type ChaosCommand,
  type Command,
  type KvCommand,
  type KvOp,
  parseCommand,
  type StatusCommand,
  type UpCommand,
} from './args.js';
export { type AvailabilityFigures, availabilityReport } from './availability-command.js';
export type { BenchReport } from './bench.js';
export { chaosFlags } from './chaos-flags.js';
export { type ClusterLayout, clusterFileName, readLayout } from './cluster-file.js';
export {
  BenchFailedError,
  CliError,
  DataDirError,
  describeFailure,
  exitCodes,
  HarnessMissingError,
  NotFoundError,
  StartupError,
  UnreachableError,
  UsageError,
} from './errors.js';
export { type LockRecord, lockName } from './lock.js';
export { renderStatusLine, renderStatusTable } from './status-table.js';
