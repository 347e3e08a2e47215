// The balancer's TLS flags: --tls-* for its node links (a CA alone is enough to dial wss://),
// --client-tls-* for its client port, which takes the node-link certificate unless given its
// own; --client-tls-ca makes client certificates mandatory. A certificate without its key, a
// client port with a CA but no certificate, and client auth without a CA are refused.
import { describe, expect, test } from 'vitest';
import { parseBalancerArgs } from '../src/cli-args.js';

const required = ['--listen', '127.0.0.1:7000', '--seed', 'ws://127.0.0.1:7001'];
const pair = ['--tls-cert', 'b.crt', '--tls-key', 'b.key'];
const parse = (flags: string[]) => parseBalancerArgs([...required, ...flags], {}, 1);

describe('balancer TLS flags', () => {
  test('none: no TLS on either side, and no TLS fields at all', () => {
    const config = parse([]);
    expect(config).not.toHaveProperty('tls');
    expect(config).not.toHaveProperty('clientTls');
  });

  test('a CA alone dials the nodes over wss:// and leaves the client port plain', () => {
    const config = parse(['--tls-ca', 'ca.crt']);
    expect(config?.tls).toEqual({ caFile: 'ca.crt', requireClientCert: false });
    expect(config).not.toHaveProperty('clientTls');
  });

  test('the node-link certificate also serves the client port, without client auth', () => {
    const config = parse([...pair, '--tls-ca', 'ca.crt']);
    expect(config?.tls).toEqual({
      certFile: 'b.crt',
      keyFile: 'b.key',
      caFile: 'ca.crt',
      requireClientCert: false,
    });
    expect(config?.clientTls).toEqual({
      certFile: 'b.crt',
      keyFile: 'b.key',
      requireClientCert: false,
    });
  });

  test('the client port can have its own pair, and demand client certificates', () => {
    const own = ['--client-tls-cert', 'c.crt', '--client-tls-key', 'c.key'];
    const config = parse([...pair, ...own, '--client-tls-ca', 'apps-ca.crt']);
    expect(config?.clientTls).toEqual({
      certFile: 'c.crt',
      keyFile: 'c.key',
      caFile: 'apps-ca.crt',
      requireClientCert: true,
    });
    expect(config?.tls).toMatchObject({ certFile: 'b.crt' });
  });

  test.each([
    [['--tls-cert', 'b.crt'], '--tls-cert and --tls-key go together'],
    [['--client-tls-key', 'c.key'], '--client-tls-cert and --client-tls-key go together'],
    [['--client-tls-ca', 'ca.crt'], 'TLS on a listener needs --client-tls-cert'],
    [[...pair, '--tls-client-auth'], '--tls-client-auth needs --tls-ca'],
    [['--peer-listen', '127.0.0.1:0', '--tls-ca', 'ca.crt'], 'TLS on a listener needs --tls-cert'],
  ])('%j is refused', (flags, says) => {
    expect(() => parse(flags)).toThrow(
      expect.objectContaining({
        code: 'TROUPE_ERR_BALANCER_CONFIG',
        message: expect.stringContaining(says),
      }),
    );
  });
});
