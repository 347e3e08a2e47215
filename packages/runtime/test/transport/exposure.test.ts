// The start-up security check as a pure function: loopback addresses (any spelling) never
// warn; any other address warns once, naming what is missing (TLS, a cluster secret, both).
import { describe, expect, test } from 'vitest';
import { exposureWarnings, isLoopbackHost } from '../../src/index.js';

describe('isLoopbackHost', () => {
  test.each([
    '127.0.0.1',
    '127.1.2.3',
    'localhost',
    'LOCALHOST',
    'node.localhost',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
  ])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  test.each([
    '0.0.0.0',
    '::',
    '10.0.0.7',
    '192.168.1.2',
    '128.0.0.1',
    '::ffff:10.0.0.1',
    'node1.example',
    'localhost.example',
  ])('%s is not loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('exposureWarnings', () => {
  const node = { what: 'node', port: 7101 };

  test('loopback stays silent, with or without TLS and secret', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      expect(exposureWarnings({ ...node, host, tls: false, secret: false })).toEqual([]);
    }
  });

  test('an exposed listener with TLS and a secret is silent', () => {
    expect(exposureWarnings({ ...node, host: '0.0.0.0', tls: true, secret: true })).toEqual([]);
  });

  test('an exposed listener names what it lacks, in one line', () => {
    const both = exposureWarnings({ ...node, host: '0.0.0.0', tls: false, secret: false });
    expect(both).toHaveLength(1);
    expect(both[0]).toMatch(/^SECURITY: node listening on 0\.0\.0\.0:7101 without TLS and a/);
    const noTls = exposureWarnings({ ...node, host: '10.0.0.7', tls: false, secret: true });
    expect(noTls[0]).toMatch(/without TLS;/);
    const noSecret = exposureWarnings({ ...node, host: '::', tls: true, secret: false });
    expect(noSecret[0]).toMatch(/^SECURITY: node listening on \[::\]:7101 without a cluster/);
  });

  test('a listener no secret applies to only warns about TLS', () => {
    const client = { what: 'balancer client listener', host: '0.0.0.0', port: 7000 };
    expect(exposureWarnings({ ...client, tls: true, secret: null })).toEqual([]);
    expect(exposureWarnings({ ...client, tls: false, secret: null })[0]).toMatch(/without TLS;/);
  });
});
