// `troupe-node`: flags -> a running node; SIGTERM/SIGINT -> a clean stop (stop accepting, fail
// what is in flight, close connections and the store). Start-up refusals (bad flags, a data
// dir that is corrupt or belongs to another cluster) print one line naming the problem and
// exit non-zero without serving anything.
import { TroupeError } from '@troupe/runtime';
import { nodeUsage, parseNodeArgs } from './server/cli-args.js';
import { TroupeNode } from './server/troupe-node.js';

/** Exit codes: 2 = bad configuration, 78 = data dir refused, 1 = anything else. */
function exitCodeOf(error: unknown): number {
  if (!(error instanceof TroupeError)) return 1;
  return error.code === 'TROUPE_ERR_DATA_DIR' ? 78 : 2;
}

async function main(): Promise<void> {
  const config = parseNodeArgs(process.argv.slice(2), process.env);
  if (config === null) {
    process.stdout.write(`${nodeUsage}\n`);
    return;
  }
  const node = await TroupeNode.start(config);
  // Printed whatever the log level: supervisors and tests wait for this line.
  const ready = { event: 'ready', nodeId: config.nodeId, url: node.url, pid: process.pid };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      node.log.info({ signal }, 'shutting down');
      void node.stop().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof TroupeError ? ` (${error.code})` : '';
  process.stderr.write(`troupe-node: ${message}${code}\n`);
  process.exit(exitCodeOf(error));
});
