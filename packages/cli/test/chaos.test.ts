// `troupe chaos` outside a source checkout: one line naming the missing harness, exit 1.
import { expect, test } from 'vitest';
import { chaosHarnessPath, runChaos } from '../src/chaos.js';
import { describeFailure, exitCodes, HarnessMissingError } from '../src/errors.js';
import type { Out } from '../src/output.js';

const silent: Out = { line: () => {}, json: () => {}, error: () => {} };

test('the harness path is the source tree one, found from this package', () => {
  expect(chaosHarnessPath.endsWith('/test/chaos-cli.ts')).toBe(true);
});

test('a missing harness is a one-line error with exit 1, and nothing is started', () => {
  const missing = '/nonexistent/troupe/test/chaos-cli.ts';
  let error: unknown;
  try {
    void runChaos({ kind: 'chaos', args: [] }, silent, missing);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(HarnessMissingError);
  const failure = describeFailure(error);
  expect(failure.exitCode).toBe(exitCodes.failed);
  expect(failure.line).toBe(
    `no chaos harness at ${missing} (troupe chaos runs the harness of a Troupe source ` +
      'checkout) (TROUPE_ERR_CLI_NO_HARNESS)',
  );
});
