// parseBalancerArgs, the `troupe-balancer` flags: the defaults when only --listen and --seed
// are given, each flag landing in its setting, secrets from files or the environment, --help
// (null), the log level spec and format (flags over TROUPE_LOG_*), and every malformed
// command line refused with BalancerConfigError.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretKey } from '@troupe/runtime';
import { describe, expect, test } from 'vitest';
import { balancerLogComponents } from '../src/balancer-logs.js';
import { balancerUsage, parseBalancerArgs } from '../src/cli-args.js';
import {
  type BalancerConfig,
  BalancerConfigError,
  balancerConfigDefaults,
  checkBalancerConfig,
  unsafeSettings,
} from '../src/config.js';

const required = ['--listen', '0.0.0.0:8080', '--seed', 'ws://127.0.0.1:7001'];

const numericFlags: ReadonlyArray<readonly [string, keyof BalancerConfig, number]> = [
  ['--grace-ms', 'graceMs', 5_000],
  ['--request-timeout-ms', 'requestTimeoutMs', 2_000],
  ['--attempt-timeout-ms', 'attemptTimeoutMs', 500],
  ['--held-requests-max', 'heldRequestsMax', 7],
  ['--client-connections-max', 'clientConnectionsMax', 8],
  ['--client-inflight-max', 'clientInflightMax', 9],
  ['--frame-bytes-max', 'frameBytesMax', 2 * 1024 * 1024],
  ['--key-bytes-max', 'keyBytesMax', 64],
  ['--value-bytes-max', 'valueBytesMax', 4_096],
  ['--client-outbound-pause-bytes', 'clientOutboundPauseBytes', 1024 * 1024],
  ['--slow-consumer-bytes', 'slowConsumerBytes', 16 * 1024 * 1024],
  ['--client-hello-timeout-ms', 'clientHelloTimeoutMs', 1_000],
  ['--connections-per-address-max', 'connectionsPerAddressMax', 16],
  ['--connection-rate-per-address', 'connectionRatePerAddressPerS', 50],
  ['--idle-timeout-ms', 'idleTimeoutMs', 5_000],
  ['--phi-threshold', 'phiThreshold', 12],
  ['--phi-acceptable-pause-ms', 'phiAcceptablePauseMs', 0],
];

function refusalOf(argv: readonly string[]): unknown {
  try {
    parseBalancerArgs(argv, {}, 42);
  } catch (error) {
    return error;
  }
  return null;
}

function expectRefused(argv: readonly string[], says: string): void {
  const error = refusalOf(argv);
  expect(error).toBeInstanceOf(BalancerConfigError);
  expect((error as BalancerConfigError).code).toBe('TROUPE_ERR_BALANCER_CONFIG');
  expect((error as BalancerConfigError).message).toContain(says);
}

describe('parseBalancerArgs', () => {
  test('with only --listen and --seed, every other setting is its default', () => {
    const config = parseBalancerArgs(required, {}, 42);
    expect(config).toEqual({
      ...balancerConfigDefaults,
      balancerId: 'balancer-8080-42',
      listenHost: '0.0.0.0',
      listenPort: 8080,
      seeds: ['ws://127.0.0.1:7001'],
      peerListen: null,
      peerVia: new Map(),
      clusterSecret: null,
      clientTokenKey: null,
    });
    expect(() => checkBalancerConfig(config as BalancerConfig)).not.toThrow();
  });

  test('each numeric flag sets its setting', () => {
    const argv = [...required, ...numericFlags.flatMap(([flag, , n]) => [flag, String(n)])];
    const config = parseBalancerArgs(argv, {}, 42);
    for (const [, field, n] of numericFlags) expect(config?.[field]).toBe(n);
  });

  test('--id, repeated --seed and the secret files are taken as given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-lb-args-'));
    const secretFile = join(dir, 'cluster-secret');
    const keyFile = join(dir, 'token-key');
    writeFileSync(secretFile, 'a-cluster-secret-of-32-bytes-ok\n', { mode: 0o600 });
    writeFileSync(keyFile, 'a-token-key-of-enough-bytes', { mode: 0o644 });
    const argv = [
      ...['--id', 'lb-a', '--listen', 'lb.local:9000'],
      ...['--seed', 'ws://n1:7001', '--seed', 'ws://n2:7002'],
      ...['--cluster-secret-file', secretFile, '--client-token-key-file', keyFile],
    ];
    const config = parseBalancerArgs(argv, {}, 42);
    expect(config).toMatchObject({
      balancerId: 'lb-a',
      listenHost: 'lb.local',
      listenPort: 9000,
      seeds: ['ws://n1:7001', 'ws://n2:7002'],
    });
    // Same secret as the file minus its newline: the proofs match.
    const fromFile = config?.clusterSecret?.key.hmac(Buffer.from('x'));
    const expected = SecretKey.from('a-cluster-secret-of-32-bytes-ok').hmac(Buffer.from('x'));
    expect(fromFile?.equals(expected)).toBe(true);
    expect(config?.clusterSecret?.warning).toBeNull();
    expect(config?.clientTokenKey?.warning).toMatch(/readable by others/);
    // The config never prints a secret, whatever serializes it.
    expect(JSON.stringify(config?.clusterSecret)).not.toContain('a-cluster-secret');
    expect(String(config?.clientTokenKey?.key)).toBe('[secret]');
  });

  test('without the file flags, the secrets come from the environment', () => {
    const env = {
      TROUPE_CLUSTER_SECRET: 'env-cluster-secret-16+',
      TROUPE_CLIENT_TOKEN_KEY: 'env-token-key-16+bytes',
    };
    const config = parseBalancerArgs(required, env, 42);
    expect(config?.clusterSecret?.key).toBeInstanceOf(SecretKey);
    expect(config?.clientTokenKey?.key).toBeInstanceOf(SecretKey);
  });

  test('a short secret, a missing file, both file and env, or a value on argv are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'troupe-lb-args-'));
    const short = join(dir, 'short');
    writeFileSync(short, 'too-short\n', { mode: 0o600 });
    expectRefused([...required, '--cluster-secret-file', short], 'at least 16 bytes');
    expectRefused([...required, '--cluster-secret-file', join(dir, 'none')], 'cannot read');
    const both = { TROUPE_CLUSTER_SECRET: 'env-cluster-secret-16+' };
    expect(() =>
      parseBalancerArgs([...required, '--cluster-secret-file', short], both, 42),
    ).toThrow(/not both/);
    expectRefused([...required, '--token', 'a-secret-on-argv-for-ps'], '--token');
    const legacy = { TROUPE_TOKEN: 'a-protocol-1-shared-token' };
    expect(() => parseBalancerArgs(required, legacy, 42)).toThrow(/no longer read/);
    expectRefused([...required, '--client-token', 'a-secret-on-argv-for-ps'], '--client-token');
  });

  test('--peer-listen is parsed as host:port, and refused otherwise', () => {
    expect(parseBalancerArgs(required, {}, 42)?.peerListen).toBeNull();
    const flags = [...required, '--peer-listen', '127.0.0.1:7100'];
    expect(parseBalancerArgs(flags, {}, 42)?.peerListen).toEqual({ host: '127.0.0.1', port: 7100 });
    expect(() => parseBalancerArgs([...required, '--peer-listen', 'nope'], {}, 42)).toThrow(
      /--peer-listen must be host:port/,
    );
  });

  test('--peer-via maps node ids to the address to dial them through', () => {
    const flags = [...required, '--peer-via', 'n1=127.0.0.1:9001', '--peer-via', 'n2=proxy:0902'];
    expect(parseBalancerArgs(flags, {}, 42)?.peerVia).toEqual(
      new Map([
        ['n1', 'ws://127.0.0.1:9001'],
        ['n2', 'ws://proxy:902'],
      ]),
    );
    for (const bad of ['n1', '=127.0.0.1:1', 'n1=nohost', 'a b=h:1']) {
      expect(() => parseBalancerArgs([...required, '--peer-via', bad], {}, 42)).toThrow(
        /--peer-via must be id=host:port/,
      );
    }
    const twice = [...required, '--peer-via', 'n1=h:1', '--peer-via', 'n1=h:2'];
    expect(() => parseBalancerArgs(twice, {}, 42)).toThrow(/names n1 twice/);
  });

  test('fast failover is on unless --no-fast-failover is given', () => {
    expect(parseBalancerArgs(required, {}, 42)?.fastFailover).toBe(true);
    const off = parseBalancerArgs([...required, '--no-fast-failover'], {}, 42);
    expect(off?.fastFailover).toBe(false);
  });

  test('the unsafe follower-reads debug flag is off unless named in full', () => {
    const flag = '--unsafe-linearizable-reads-from-followers';
    expect(parseBalancerArgs(required, {}, 42)?.unsafeLinearizableReadsFromFollowers).toBe(false);
    const on = parseBalancerArgs([...required, flag], {}, 42);
    expect(on?.unsafeLinearizableReadsFromFollowers).toBe(true);
    expect(unsafeSettings(on as BalancerConfig)).toEqual(['linearizable-reads-from-followers']);
    expect(unsafeSettings(parseBalancerArgs(required, {}, 42) as BalancerConfig)).toEqual([]);
    // parseArgs takes no abbreviations and no value for a boolean: a typo cannot turn it on.
    expectRefused([...required, '--unsafe'], '--unsafe');
    expectRefused([...required, `${flag}=false`], flag);
    expect(balancerUsage).toContain(flag);
  });

  test('an empty secret in the environment means no secret', () => {
    const env = { TROUPE_CLUSTER_SECRET: '', TROUPE_CLIENT_TOKEN_KEY: '' };
    expect(parseBalancerArgs(required, env, 42)).toMatchObject({
      clusterSecret: null,
      clientTokenKey: null,
    });
  });

  test('--help returns null, even without the required flags', () => {
    expect(parseBalancerArgs(['--help'], {}, 42)).toBeNull();
    expect(parseBalancerArgs([...required, '--help'], {}, 42)).toBeNull();
  });

  test('an unknown flag is refused', () => {
    expectRefused([...required, '--grace', '10'], '--grace');
  });

  test('a positional argument is refused', () => {
    expectRefused([...required, 'extra'], 'extra');
  });

  test('--listen is required, as host:port', () => {
    expectRefused(['--seed', 'ws://127.0.0.1:7001'], '--listen');
    expectRefused(['--listen', '8080', '--seed', 'ws://h:1'], '--listen');
    expectRefused(['--listen', 'host:port', '--seed', 'ws://h:1'], '--listen');
    expectRefused(['--listen', 'host:123456', '--seed', 'ws://h:1'], '--listen');
  });

  test.each(numericFlags)('%s must be an integer', (flag) => {
    expectRefused([...required, flag, 'ten'], flag);
    expectRefused([...required, flag, '1.5'], flag);
  });

  test('out-of-range values parse, and checkBalancerConfig then refuses them', () => {
    const config = parseBalancerArgs([...required, '--grace-ms', '5'], {}, 42);
    expect(config?.graceMs).toBe(5);
    expect(() => checkBalancerConfig(config as BalancerConfig)).toThrow(BalancerConfigError);
  });

  test('--log-level and --log-format land in the config, over the environment', () => {
    expect(parseBalancerArgs(required, {}, 42)).toMatchObject({
      logLevel: 'info',
      logFormat: null,
    });
    const env = { TROUPE_LOG_LEVEL: 'warn,health=debug', TROUPE_LOG_FORMAT: 'json' };
    expect(parseBalancerArgs(required, env, 42)).toMatchObject({
      logLevel: 'warn,health=debug',
      logFormat: 'json',
    });
    const flags = [...required, '--log-level', 'error,failover=debug', '--log-format', 'pretty'];
    expect(parseBalancerArgs(flags, env, 42)).toMatchObject({
      logLevel: 'error,failover=debug',
      logFormat: 'pretty',
    });
    const all = balancerLogComponents.map((c) => `${c}=debug`).join(',');
    expect(parseBalancerArgs([...required, '--log-level', all], {}, 42)?.logLevel).toBe(all);
  });

  test('a bad level spec or format is refused, naming the flag or variable', () => {
    expectRefused([...required, '--log-level', 'loud'], '--log-level: unknown level "loud"');
    expectRefused([...required, '--log-level', 'raft=debug'], 'unknown log component "raft"');
    expectRefused([...required, '--log-format', 'xml'], '--log-format');
    const error = (() => {
      try {
        parseBalancerArgs(required, { TROUPE_LOG_LEVEL: 'info,info' }, 42);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(BalancerConfigError);
    expect((error as Error).message).toMatch(/^TROUPE_LOG_LEVEL: /);
  });

  test('the usage text lists every flag', () => {
    const flags = [
      '--id',
      '--listen',
      '--seed',
      '--cluster-secret-file',
      '--client-token-key-file',
    ];
    flags.push('--log-level', '--log-format');
    for (const flag of [...flags, ...numericFlags.map(([f]) => f)]) {
      expect(balancerUsage).toContain(`${flag} `);
    }
    const listed = /components: ([\s\S]*?)\n\s*--log-format/.exec(balancerUsage)?.[1];
    expect(listed?.split(/,\s*/)).toEqual([...balancerLogComponents]);
  });
});
