// The node's TLS flags: none gives no TLS (plain ws://); cert, key and CA become TLS settings
// for the actor system, --tls-client-auth mutual TLS; a certificate without its key, TLS
// without a certificate (a node listens), client auth without a CA are refused as
// NodeConfigError. Files are not read here: the actor system reads them at start.
import { describe, expect, test } from 'vitest';
import { parseNodeArgs } from '../../src/server/cli-args.js';

const required = [
  ...['--id', 'n1', '--listen', '127.0.0.1:7101', '--data-dir', '/tmp/n1'],
  ...['--initial-cluster', 'n1=127.0.0.1:7101'],
];
const pair = ['--tls-cert', 'n1.crt', '--tls-key', 'n1.key'];

describe('node TLS flags', () => {
  test('without them there is no TLS', () => {
    expect(parseNodeArgs(required, {})?.tls ?? null).toBeNull();
  });

  test('cert, key and CA, with and without client auth', () => {
    expect(parseNodeArgs([...required, ...pair, '--tls-ca', 'ca.crt'], {})?.tls).toEqual({
      certFile: 'n1.crt',
      keyFile: 'n1.key',
      caFile: 'ca.crt',
      requireClientCert: false,
    });
    const mutual = [...required, ...pair, '--tls-ca', 'ca.crt', '--tls-client-auth'];
    expect(parseNodeArgs(mutual, {})?.tls).toMatchObject({ requireClientCert: true });
  });

  test.each([
    [['--tls-cert', 'n1.crt'], '--tls-cert and --tls-key go together'],
    [['--tls-key', 'n1.key'], '--tls-cert and --tls-key go together'],
    [['--tls-ca', 'ca.crt'], 'TLS on a listener needs --tls-cert and --tls-key'],
    [[...pair, '--tls-client-auth'], '--tls-client-auth needs --tls-ca'],
  ])('%j is refused', (flags, says) => {
    expect(() => parseNodeArgs([...required, ...flags], {})).toThrow(
      expect.objectContaining({
        code: 'TROUPE_ERR_NODE_CONFIG',
        message: expect.stringContaining(says),
      }),
    );
  });
});
