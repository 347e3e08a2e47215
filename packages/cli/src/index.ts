// Public surface of @troupe/cli for tests and tools: argument parsing, the cluster file and
// the status renderings. The executable is src/main.ts.
export {
  type Command,
  type KvCommand,
  type KvOp,
  parseCommand,
  type StatusCommand,
  type UpCommand,
} from './args.js';
export { type ClusterLayout, clusterFileName, readLayout } from './cluster-file.js';
export {
  CliError,
  DataDirError,
  describeFailure,
  exitCodes,
  NotFoundError,
  StartupError,
  UnreachableError,
  UsageError,
} from './errors.js';
export { renderStatusLine, renderStatusTable } from './status-table.js';
