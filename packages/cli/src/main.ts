// `troupe`: the command line of a local Troupe cluster. Parses the arguments, runs one
// command, and turns any failure into one line on stderr and a documented exit code
// (errors.ts, docs/cli.md). Nothing else lives here.
import { parseCommand } from './args.js';
import { runAvailability } from './availability-command.js';
import { runBench } from './bench.js';
import { runChaos } from './chaos.js';
import { describeFailure, exitCodes } from './errors.js';
import { runKv } from './kv.js';
import { stdio } from './output.js';
import { runStatus } from './status-command.js';
import { runToken } from './token-command.js';
import { runUp } from './up.js';

async function main(argv: readonly string[]): Promise<number> {
  const command = parseCommand(argv);
  switch (command.kind) {
    case 'help':
      stdio.line(command.text);
      return exitCodes.ok;
    case 'up':
      return runUp(command, stdio, process.stdout.isTTY === true);
    case 'kv':
      await runKv(command, stdio);
      return exitCodes.ok;
    case 'status':
      await runStatus(command, stdio);
      return exitCodes.ok;
    case 'availability':
      runAvailability(command, stdio);
      return exitCodes.ok;
    case 'bench':
      await runBench(command, stdio);
      return exitCodes.ok;
    case 'chaos':
      // The harness's own exit code, passed on unchanged (docs/cli.md).
      return runChaos(command, stdio);
    case 'token':
      runToken(command, stdio);
      return exitCodes.ok;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const { exitCode, line } = describeFailure(error);
    stdio.error(line);
    process.exit(exitCode);
  },
);
