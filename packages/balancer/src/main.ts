// `troupe-balancer`: flags -> a running balancer; SIGTERM/SIGINT -> a clean stop (close client
// connections, stop routing, leave the cluster connections). Bad flags print one line and exit 2.
import { TroupeError } from '@troupe/runtime';
import { TroupeBalancer } from './balancer.js';
import { balancerUsage, parseBalancerArgs } from './cli-args.js';

/** Exit code 2: the command line or environment is wrong, not the cluster. */
const configCodes = new Set([
  'TROUPE_ERR_BALANCER_CONFIG',
  'TROUPE_ERR_LOG_CONFIG',
  'TROUPE_ERR_TLS_CONFIG',
]);

async function main(): Promise<void> {
  const config = parseBalancerArgs(process.argv.slice(2), process.env, process.pid);
  if (config === null) {
    process.stdout.write(`${balancerUsage}\n`);
    return;
  }
  const balancer = await TroupeBalancer.start(config);
  // Printed whatever the log level: supervisors and tests wait for this line.
  const ready = {
    event: 'ready',
    balancerId: config.balancerId,
    url: balancer.url,
    http: balancer.url.replace(/^ws/, 'http'),
    peerUrl: balancer.peerUrl,
    pid: process.pid,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      balancer.log.info({ signal }, 'shutting down');
      void balancer.stop().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof TroupeError ? ` (${error.code})` : '';
  process.stderr.write(`troupe-balancer: ${message}${code}\n`);
  process.exit(error instanceof TroupeError && configCodes.has(error.code) ? 2 : 1);
});
