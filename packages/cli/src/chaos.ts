// `troupe chaos`: runs the chaos harness (test/chaos-cli.ts, what `pnpm chaos` runs) with the
// flags given, so operators find it beside the other commands. The harness lives in the source
// tree, not in this package, so its path is resolved from this file and a clear error is given
// when it is not there. The harness runs in its own process group: a terminal's Ctrl-C reaches
// only troupe, which passes the signal on once, so the harness's own cleanup (it stops every
// process it started) is not cut short by a second copy of the signal.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChaosCommand } from './args.js';
import { HarnessMissingError } from './errors.js';
import type { Out } from './output.js';

/** Where the harness is in a source checkout, relative to this file. */
export const chaosHarnessPath = fileURLToPath(
  new URL('../../../test/chaos-cli.ts', import.meta.url),
);

const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** An exit by signal as a shell reports it: 128 + the signal's number. */
function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

/** Runs the harness to completion; resolves with the exit code to end with (its own). */
export function runChaos(command: ChaosCommand, out: Out, harness = chaosHarnessPath) {
  if (!existsSync(harness)) throw new HarnessMissingError(harness);
  // The workspace root, where `--import tsx` and the harness's own imports resolve.
  const root = resolve(harness, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', harness, ...command.args], {
    cwd: root,
    stdio: 'inherit',
    detached: true,
  });
  let passedOn: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (passedOn !== null) {
      out.error(`${signal}: the chaos harness (pid ${child.pid}) is still stopping its processes`);
      return;
    }
    passedOn = signal;
    child.kill(signal);
  };
  for (const signal of forwarded) process.on(signal, onSignal);
  return new Promise<number>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const name of forwarded) process.off(name, onSignal);
      resolvePromise(exitCodeOf(code, signal));
    });
  });
}
