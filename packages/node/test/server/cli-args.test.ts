// troupe-node's flags: the required ones, defaults, and --peer-via (dial a peer through
// another address, as the chaos harness's partition proxies and NAT setups need): parsed into
// node id -> canonical ws:// URL, with malformed or repeated entries refused (exit code 2 via
// NodeConfigError); --log-level / --log-format over TROUPE_LOG_LEVEL / TROUPE_LOG_FORMAT,
// with a bad spec or format refused the same way.
import { describe, expect, test } from 'vitest';
import { nodeUsage, parseNodeArgs, parsePeerVia } from '../../src/server/cli-args.js';
import { checkNodeConfig, NodeConfigError } from '../../src/server/config.js';
import { nodeLogComponents } from '../../src/server/node-logs.js';

const required = [
  ...['--id', 'n1', '--listen', '127.0.0.1:7101', '--data-dir', '/tmp/n1'],
  ...['--initial-cluster', 'n1=127.0.0.1:7101'],
];

describe('parseNodeArgs', () => {
  test('the required flags, with no peer overrides by default', () => {
    const config = parseNodeArgs(required, {});
    expect(config).toMatchObject({ nodeId: 'n1', listenPort: 7101, dataDir: '/tmp/n1' });
    expect(config?.peerVia).toEqual(new Map());
  });

  test('connection limits default safely and take their flags; bad ones are refused', () => {
    expect(parseNodeArgs(required, {})).toMatchObject({
      connectionsPerAddressMax: 1_024,
      connectionRatePerAddressPerS: 100,
      handshakeTimeoutMs: 5_000,
      idleTimeoutMs: 30_000,
    });
    const flags = [
      ...required,
      ...['--connections-per-address-max', '8', '--handshake-timeout-ms', '700'],
      ...['--idle-timeout-ms', '4000', '--connection-rate-per-address', '20'],
    ];
    expect(parseNodeArgs(flags, {})).toMatchObject({
      connectionsPerAddressMax: 8,
      connectionRatePerAddressPerS: 20,
      handshakeTimeoutMs: 700,
      idleTimeoutMs: 4_000,
    });
    expect(() => parseNodeArgs([...required, '--idle-timeout-ms', 'soon'], {})).toThrow(
      NodeConfigError,
    );
    // Out of range: refused at start by checkNodeConfig, naming the setting.
    const config = parseNodeArgs(required, {});
    if (config === null) throw new Error('no config');
    for (const bad of [
      { idleTimeoutMs: 500 },
      { handshakeTimeoutMs: 50 },
      { connectionsPerAddressMax: 0 },
      { connectionRatePerAddressPerS: 0 },
    ]) {
      expect(() => checkNodeConfig({ ...config, ...bad })).toThrow(Object.keys(bad)[0]);
    }
  });

  test('--peer-via is repeatable and lands in peerVia', () => {
    const flags = [...required, '--peer-via', 'n2=127.0.0.1:9002', '--peer-via', 'n3=Proxy:9003'];
    expect(parseNodeArgs(flags, {})?.peerVia).toEqual(
      new Map([
        ['n2', 'ws://127.0.0.1:9002'],
        ['n3', 'ws://proxy:9003'],
      ]),
    );
  });
});

describe('log flags', () => {
  test('--log-level and --log-format land in the config, over the environment', () => {
    expect(parseNodeArgs(required, {})).toMatchObject({ logLevel: 'info', logFormat: null });
    const env = { TROUPE_LOG_LEVEL: 'warn,raft=debug', TROUPE_LOG_FORMAT: 'pretty' };
    expect(parseNodeArgs(required, env)).toMatchObject({
      logLevel: 'warn,raft=debug',
      logFormat: 'pretty',
    });
    const flags = [...required, '--log-level', 'multi-raft=trace', '--log-format', 'json'];
    expect(parseNodeArgs(flags, env)).toMatchObject({
      logLevel: 'multi-raft=trace',
      logFormat: 'json',
    });
    const all = nodeLogComponents.map((c) => `${c}=debug`).join(',');
    expect(parseNodeArgs([...required, '--log-level', all], {})?.logLevel).toBe(all);
  });

  test.each([
    ['an unknown level', ['--log-level', 'loud'], {}, /^--log-level: unknown level "loud"/],
    ['a balancer component', ['--log-level', 'failover=debug'], {}, /unknown log component/],
    ['two defaults', ['--log-level', 'info,warn'], {}, /two default levels/],
    ['an unknown format', ['--log-format', 'xml'], {}, /^--log-format: /],
    ['a bad TROUPE_LOG_LEVEL', [], { TROUPE_LOG_LEVEL: 'kv=' }, /^TROUPE_LOG_LEVEL: /],
    ['a bad TROUPE_LOG_FORMAT', [], { TROUPE_LOG_FORMAT: 'text' }, /^TROUPE_LOG_FORMAT: /],
  ])('%s is refused with NodeConfigError (exit code 2)', (_name, flags, env, says) => {
    const parse = () => parseNodeArgs([...required, ...flags], env);
    expect(parse).toThrow(NodeConfigError);
    expect(parse).toThrow(says);
  });

  test('--help lists both flags and every component', () => {
    expect(nodeUsage).toContain('--log-level <spec>');
    expect(nodeUsage).toContain('--log-format <json|pretty>');
    const listed = /components: ([\s\S]*?)\n\s*--log-format/.exec(nodeUsage)?.[1];
    expect(listed?.split(/,\s*/)).toEqual([...nodeLogComponents]);
  });
});

describe('parsePeerVia', () => {
  test.each([
    ['no address', 'n2'],
    ['no id', '=127.0.0.1:1'],
    ['a bad id', 'n 2=127.0.0.1:1'],
    ['no port', 'n2=127.0.0.1'],
    ['another scheme', 'n2=http://127.0.0.1:1'],
  ])('%s is refused', (_name, entry) => {
    expect(() => parsePeerVia([entry])).toThrow(NodeConfigError);
  });

  test('the same peer twice is refused', () => {
    expect(() => parsePeerVia(['n2=h:1', 'n2=h:2'])).toThrow(/names n2 twice/);
  });
});
