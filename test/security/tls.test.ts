// TLS on every link with real processes and a CA made here by openssl: three nodes with mutual
// TLS on their peer links and two balancers (one also demanding client certificates) serve a
// client over wss://, and /status over https. A peer dialling a node without a certificate, or
// with one from another CA, is refused while the cluster keeps serving; a client that does not
// trust the CA, a plain ws:// client, and a client without a certificate where the balancer
// demands one all get a typed error, not a hang. On loopback nobody warns; a balancer on
// 0.0.0.0 without TLS says so once.
import { request } from 'node:https';
import { createClient, type TroupeClient } from '@troupe/client';
import { ActorSystem, silentLogger, type TlsSettings } from '@troupe/runtime';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { freePort } from '../harness/ports.js';
import { livePids, spawnTs, stopAll } from '../harness/processes.js';
import { type CertFiles, pem, type TestCa, TestPki } from '../harness/tls-certs.js';

let pki: TestPki;
let ca: TestCa;
let otherCa: TestCa;
let clientCert: CertFiles;
let strangerCert: CertFiles;
let cluster: TestCluster;
let balancers: TestBalancers;
const clients: TroupeClient[] = [];
const systems: ActorSystem[] = [];

/** wss:// of balancer `id` (the harness names its ws:// URL). */
const wssOf = (id: string): string => balancers.balancer(id).url.replace('ws://', 'wss://');

beforeAll(async () => {
  pki = new TestPki();
  ca = pki.ca('cluster-ca');
  otherCa = pki.ca('other-ca');
  clientCert = pki.leaf(ca, 'app');
  strangerCert = pki.leaf(otherCa, 'stranger');
  cluster = await TestCluster.create({
    size: 3,
    args: ['--tls-ca', ca.certFile, '--tls-client-auth'],
  });
  await Promise.all(
    cluster.nodes.map((node) => {
      const cert = pki.leaf(ca, node.id);
      return cluster.start(node.id, ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile]);
    }),
  );
  const balancerCert = pki.leaf(ca, 'balancer');
  const tlsArgs = ['--tls-cert', balancerCert.certFile, '--tls-key', balancerCert.keyFile];
  balancers = await TestBalancers.create(cluster, 2, [...tlsArgs, '--tls-ca', ca.certFile]);
  await balancers.start('b1');
  await balancers.start('b2', ['--client-tls-ca', ca.certFile]);
}, 90_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 200 })));
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
  pki?.remove();
});

function client(balancer: string, options: Parameters<typeof createClient>[0]['tls'] | null) {
  const made = createClient({
    balancers: [balancer],
    name: 'tls-test',
    requestTimeoutMs: 20_000,
    ...(options === null ? {} : { tls: options }),
  });
  clients.push(made);
  return made;
}

/** A client that may not get in: short deadline, so a refusal shows as an error soon. */
function doomedClient(balancer: string, tls: Parameters<typeof client>[1]): TroupeClient {
  const made = createClient({
    balancers: [balancer],
    name: 'tls-doomed',
    requestTimeoutMs: 2_000,
    connectTimeoutMs: 1_000,
    ...(tls === null ? {} : { tls }),
  });
  clients.push(made);
  return made;
}

function httpsGet(url: string, caPem: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: caPem }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A write and a read through b1: the cluster serves. */
async function serves(key: string): Promise<void> {
  const app = client(wssOf('b1'), { ca: ca.pem });
  await app.update(key, { ok: true });
  expect((await app.get(key)).value).toEqual({ ok: true });
}

describe('TLS on every link', () => {
  test('every process listens on wss://, and a client over wss:// writes and reads', async () => {
    for (const node of cluster.nodes) {
      const ready = await node.process?.waitForEvent<{ url: string }>('ready');
      expect(ready?.url).toBe(`wss://127.0.0.1:${node.port}`);
    }
    const ready = await balancers.balancer('b1').process?.waitForEvent<{ url: string }>('ready');
    expect(ready?.url).toBe(wssOf('b1'));
    const app = client(wssOf('b1'), { ca: ca.pem });
    const written = await app.update('tls:greeting', { hello: 'wss' });
    expect(written.version).toBeGreaterThan(0);
    expect(await app.get('tls:greeting')).toMatchObject({ value: { hello: 'wss' } });
  });

  test('/status is served over https on the client port, and every node is up', async () => {
    const https = wssOf('b1').replace('wss://', 'https://');
    const { status, body } = await httpsGet(`${https}/status`, ca.pem);
    expect(status).toBe(200);
    const members = (JSON.parse(body) as { members: { id: string; up: boolean }[] }).members;
    expect(members.map((m) => [m.id, m.up])).toEqual([
      ['n1', true],
      ['n2', true],
      ['n3', true],
    ]);
  });

  test('a client certificate opens the balancer that demands one', async () => {
    const tls = { ca: ca.pem, cert: pem(clientCert.certFile), key: pem(clientCert.keyFile) };
    const app = client(wssOf('b2'), tls);
    await app.update('tls:mutual', 1);
    expect((await app.get('tls:mutual')).value).toBe(1);
  });
});

describe('refusals', () => {
  async function rogue(nodeId: string, tls: TlsSettings) {
    const system = await ActorSystem.start({ nodeId, logger: silentLogger(), tls });
    systems.push(system);
    return system;
  }

  test('a peer without a certificate is refused by a node; the cluster keeps serving', async () => {
    const anonymous = await rogue('rogue-anonymous', { caFile: ca.certFile });
    const url = cluster.node('n1').url;
    await expect(anonymous.connect(url, { timeoutMs: 3_000 })).rejects.toMatchObject({
      code: 'TROUPE_ERR_TLS',
    });
    await serves('tls:after-anonymous');
  });

  test('a peer with a certificate from another CA is refused by a node', async () => {
    const stranger = await rogue('rogue-stranger', {
      certFile: strangerCert.certFile,
      keyFile: strangerCert.keyFile,
      caFile: ca.certFile,
    });
    const url = cluster.node('n2').url;
    // Node drops an untrusted client certificate without an alert: the dialer sees a hang-up.
    await expect(stranger.connect(url, { timeoutMs: 3_000 })).rejects.toMatchObject({
      code: expect.stringMatching(/^TROUPE_ERR_(TLS|PEER_UNAVAILABLE)$/),
    });
    expect(stranger.isConnected('n2')).toBe(false);
    await serves('tls:after-stranger');
  });

  test('a client that does not trust the CA gets a typed error, not a hang', async () => {
    // The error names the TLS failure, so the operator knows where to look.
    const untrusting = doomedClient(wssOf('b1'), { ca: otherCa.pem });
    await expect(untrusting.get('tls:greeting')).rejects.toMatchObject({
      code: 'TROUPE_ERR_UNAVAILABLE',
      message: expect.stringMatching(/certificate/),
    });
    const noCa = doomedClient(wssOf('b1'), null);
    await expect(noCa.get('tls:greeting')).rejects.toMatchObject({
      code: 'TROUPE_ERR_UNAVAILABLE',
      message: expect.stringMatching(/certificate/),
    });
  });

  test('a plain ws:// client on the TLS port gets a typed error', async () => {
    const plain = doomedClient(balancers.balancer('b1').url, null);
    await expect(plain.get('tls:greeting')).rejects.toMatchObject({
      code: 'TROUPE_ERR_UNAVAILABLE',
    });
    await serves('tls:after-plain');
  });

  test('a client without a certificate, or with another CA’s, is refused by b2', async () => {
    const anonymous = doomedClient(wssOf('b2'), { ca: ca.pem });
    await expect(anonymous.get('tls:mutual')).rejects.toMatchObject({
      code: 'TROUPE_ERR_UNAVAILABLE',
    });
    const tls = { ca: ca.pem, cert: pem(strangerCert.certFile), key: pem(strangerCert.keyFile) };
    const stranger = doomedClient(wssOf('b2'), tls);
    await expect(stranger.get('tls:mutual')).rejects.toMatchObject({
      code: 'TROUPE_ERR_UNAVAILABLE',
    });
    await serves('tls:after-b2-refusals');
  });
});

describe('the troupe CLI with --tls-ca', () => {
  async function troupe(
    args: string[],
  ): Promise<{ code: number | null; out: string; err: string }> {
    const run = spawnTs('packages/cli/src/main.ts', args);
    let err = '';
    run.child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      run.child.once('close', (exitCode) => resolve(exitCode));
    });
    return { code, out: run.lines.join('\n'), err };
  }

  test('kv commands and status reach a wss:// balancer that the CA signed', async () => {
    const target = ['--balancer', wssOf('b1'), '--tls-ca', ca.certFile];
    expect((await troupe(['update', 'tls:cli', '{"via":"cli"}', ...target])).code).toBe(0);
    const got = await troupe(['get', 'tls:cli', ...target]);
    expect(got).toMatchObject({ code: 0, out: '{"via":"cli"}' });
    const status = await troupe(['status', '--json', ...target]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ shardCount: 16 });
  });

  test('without the CA the balancer is unreachable (exit 3), and the TLS failure is named', async () => {
    const target = ['--balancer', wssOf('b1'), '--timeout-ms', '1500'];
    const got = await troupe(['get', 'tls:cli', ...target]);
    expect(got.code).toBe(3);
    expect(got.err).toMatch(/certificate/);
    const status = await troupe(['status', ...target]);
    expect(status.code).toBe(3);
    expect(status.err).toMatch(/TLS: .*certificate/);
  });
});

describe('start-up warnings', () => {
  test('nodes and balancers on loopback do not warn', () => {
    const processes = [...cluster.nodes, ...balancers.balancers].map((p) => p.process);
    for (const child of processes) {
      expect(child?.lines.filter((line) => line.includes('SECURITY:'))).toEqual([]);
    }
  });

  test('a balancer on 0.0.0.0 without TLS logs one SECURITY line', async () => {
    const port = await freePort();
    const child = spawnTs('packages/balancer/src/main.ts', [
      ...['--id', 'exposed', '--listen', `0.0.0.0:${port}`],
      ...['--peer-listen', '127.0.0.1:0', '--log-format', 'json'],
    ]);
    try {
      await child.waitForEvent('ready', 20_000);
      const warnings = child.lines.filter((line) => line.includes('SECURITY:'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`balancer client listener listening on 0.0.0.0:${port}`);
      expect(warnings[0]).toContain('without TLS');
    } finally {
      child.kill('SIGKILL');
      await child.exited;
    }
    expect(livePids()).not.toContain(child.pid);
  });
});
