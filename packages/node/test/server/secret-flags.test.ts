// troupe-node's cluster secret: from --cluster-secret-file (one trailing newline dropped) or
// TROUPE_CLUSTER_SECRET, never from a flag value (`ps` shows argv); a short, unreadable or
// doubly given secret is refused with NodeConfigError naming the problem, not the secret.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretKey } from '@troupe/runtime';
import { expect, test } from 'vitest';
import { nodeUsage, parseNodeArgs } from '../../src/server/cli-args.js';
import { NodeConfigError } from '../../src/server/config.js';

const required = [
  ...['--id', 'n1', '--listen', '127.0.0.1:7101', '--data-dir', '/tmp/n1'],
  ...['--initial-cluster', 'n1=127.0.0.1:7101'],
];
const dir = mkdtempSync(join(tmpdir(), 'troupe-node-secret-'));
const value = 'node-test-cluster-secret-value';

function refusal(argv: string[], env: NodeJS.ProcessEnv = {}): NodeConfigError {
  try {
    parseNodeArgs(argv, env);
  } catch (error) {
    if (error instanceof NodeConfigError) return error;
    throw error;
  }
  throw new Error('accepted');
}

test('no secret by default; the file or the environment gives one', () => {
  expect(parseNodeArgs(required, {})?.clusterSecret).toBeNull();
  const file = join(dir, 'secret');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  const fromFile = parseNodeArgs([...required, '--cluster-secret-file', file], {});
  const expected = SecretKey.from(value).hmac(Buffer.from('x'));
  expect(fromFile?.clusterSecret?.key.hmac(Buffer.from('x')).equals(expected)).toBe(true);
  expect(fromFile?.clusterSecret?.warning).toBeNull();
  const fromEnv = parseNodeArgs(required, { TROUPE_CLUSTER_SECRET: value });
  expect(fromEnv?.clusterSecret?.key.hmac(Buffer.from('x')).equals(expected)).toBe(true);
  expect(nodeUsage).toContain('--cluster-secret-file <path>');
});

test('refused: a short secret, a missing file, both sources, a value on argv', () => {
  const short = join(dir, 'short');
  writeFileSync(short, 'short\n', { mode: 0o600 });
  expect(refusal([...required, '--cluster-secret-file', short]).message).toMatch(/16 bytes/);
  const missing = refusal([...required, '--cluster-secret-file', join(dir, 'none')]);
  expect(missing.message).toMatch(/cannot read/);
  const both = refusal([...required, '--cluster-secret-file', short], {
    TROUPE_CLUSTER_SECRET: value,
  });
  expect(both.message).toMatch(/not both/);
  expect(both.message).not.toContain(value);
  expect(refusal([...required, '--token', value]).message).toMatch(/--token/);
  // The old variable is refused rather than ignored: ignoring it would drop authentication.
  expect(refusal(required, { TROUPE_TOKEN: value }).message).toMatch(/no longer read/);
});
