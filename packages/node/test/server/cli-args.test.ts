// troupe-node's flags: the required ones, defaults, and --peer-via (dial a peer through
// another address, as the chaos harness's partition proxies and NAT setups need): parsed into
// node id -> canonical ws:// URL, with malformed or repeated entries refused (exit code 2 via
// NodeConfigError).
import { describe, expect, test } from 'vitest';
import { parseNodeArgs, parsePeerVia } from '../../src/server/cli-args.js';
import { NodeConfigError } from '../../src/server/config.js';

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
