// The demo behind `pnpm demo`: starts two runtime processes on loopback, lets the second dial
// the first, and relays what both print. It kills both (by pid) on Ctrl-C or on any failure.
import { spawnTs, stopAll } from '../../../test/harness/processes.js';

const script = 'packages/runtime/examples/ping-node.ts';

function printHumanLines(line: string): void {
  if (!line.startsWith('{')) process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  const a = spawnTs(script, ['--id', 'node-a'], { inheritStderr: true });
  a.onLine(printHumanLines);
  const { url } = await a.waitForEvent<{ url: string }>('ready');
  const b = spawnTs(script, ['--id', 'node-b', '--peer', url], { inheritStderr: true });
  b.onLine(printHumanLines);
  const [exitA, exitB] = await Promise.all([a.exited, b.exited]);
  const ok = exitA.code === 0 && exitB.code === 0;
  process.stdout.write(ok ? 'demo finished: both nodes exited cleanly\n' : 'demo failed\n');
  return ok ? 0 : 1;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().then(() => process.exit(130)));
}
main()
  .then((code) => process.exit(code))
  .catch(async (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    await stopAll();
    process.exit(1);
  });
