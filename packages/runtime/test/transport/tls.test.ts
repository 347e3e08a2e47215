// TLS on the transport with a CA and certificates made here by openssl: peers with mutual TLS
// talk over wss:// (ws:// member URLs are dialled as wss://), plain HTTP on the port is https;
// a dialer without a certificate, with one from another CA, one that does not trust the CA,
// one that finds another host's name on the certificate, and a plain ws:// dialer are refused
// with a typed error, not a hang, while the listener goes on serving; bad files fail start.
import { request } from 'node:https';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type CertFiles, pem, type TestCa, TestPki } from '../../../../test/harness/tls-certs.js';
import {
  type Actor,
  ActorSystem,
  type ActorSystemOptions,
  createLogger,
  type Logger,
  silentLogger,
  type TlsSettings,
} from '../../src/index.js';

let pki: TestPki;
let ca: TestCa;
let otherCa: TestCa;
let certs: Record<'a' | 'b' | 'stranger' | 'elsewhere', CertFiles>;

beforeAll(() => {
  pki = new TestPki();
  ca = pki.ca('cluster-ca');
  otherCa = pki.ca('other-ca');
  certs = {
    a: pki.leaf(ca, 'node-a'),
    b: pki.leaf(ca, 'node-b'),
    stranger: pki.leaf(otherCa, 'stranger'),
    elsewhere: pki.leaf(ca, 'elsewhere', ['DNS:elsewhere.example']),
  };
});
afterAll(() => pki.remove());

const systems: ActorSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 200 })));
  systems.length = 0;
});

async function start(nodeId: string, options: Partial<ActorSystemOptions> = {}) {
  const system = await ActorSystem.start({ nodeId, logger: silentLogger(), ...options });
  systems.push(system);
  return system;
}

function tlsOf(files: CertFiles, extra: Partial<TlsSettings> = {}): TlsSettings {
  return { certFile: files.certFile, keyFile: files.keyFile, caFile: ca.certFile, ...extra };
}

/** A logger that keeps its JSON lines, parsed. */
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = createLogger({ level: 'debug', format: 'json', destination, env: {} });
  return { logger, lines };
}

/** A listener with mutual TLS and an echo actor; `refusals` are its TLS refusal log lines. */
async function mtlsServer(): Promise<ActorSystem & { refusals: () => unknown[] }> {
  const { logger, lines } = capturingLogger();
  const tls = tlsOf(certs.a, { requireClientCert: true });
  const a = await start('node-a', { listen: { port: 0 }, tls, logger });
  a.spawn('echo', (): Actor => ({ receive: (m) => m }));
  const refusals = (): unknown[] =>
    lines.filter((l) => l.msg === 'TLS handshake refused').map((l) => l.reason);
  return Object.assign(a, { refusals });
}

/** The listener still serves a well-configured peer. */
async function stillServes(a: ActorSystem): Promise<void> {
  const good = await start('node-good', { tls: tlsOf(certs.b) });
  expect(await good.connect(a.listenUrl as string, { timeoutMs: 5_000 })).toBe('node-a');
  expect(await good.ref('node-a', 'echo').ask('still here', { timeoutMs: 2_000 })).toBe(
    'still here',
  );
}

describe('mutual TLS between systems', () => {
  test('peers with certificates from the cluster CA talk over wss://', async () => {
    const a = await mtlsServer();
    expect(a.listenUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const b = await start('node-b', { listen: { port: 0 }, tls: tlsOf(certs.b) });
    // A member URL is an address: with TLS on, ws:// is dialled as wss://.
    const memberUrl = (a.listenUrl as string).replace('wss://', 'ws://');
    expect(await b.connect(memberUrl, { timeoutMs: 5_000 })).toBe('node-a');
    expect(await b.ref('node-a', 'echo').ask({ n: 1 }, { timeoutMs: 2_000 })).toEqual({ n: 1 });
  });

  test('a dialer presenting no certificate is refused; the listener keeps serving', async () => {
    const a = await mtlsServer();
    const anonymous = await start('node-anon', { tls: { caFile: ca.certFile } });
    const refused = anonymous.connect(a.listenUrl as string, { timeoutMs: 5_000 });
    await expect(refused).rejects.toMatchObject({ code: 'TROUPE_ERR_TLS' });
    await stillServes(a);
  });

  test('a dialer presenting a certificate from another CA is refused', async () => {
    const a = await mtlsServer();
    const tls = { ...tlsOf(certs.stranger), caFile: ca.certFile };
    const stranger = await start('node-stranger', { tls });
    // The server drops an untrusted certificate without an alert: the dialer sees a hang-up.
    const refused = stranger.connect(a.listenUrl as string, { timeoutMs: 2_000 });
    await expect(refused).rejects.toMatchObject({ code: 'TROUPE_ERR_PEER_UNAVAILABLE' });
    expect(a.refusals()).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(stranger.isConnected('node-a')).toBe(false);
    await stillServes(a);
  });

  test('a dialer that does not trust the CA fails with TlsError, not a hang', async () => {
    const a = await mtlsServer();
    const untrusting = await start('node-untrusting', {
      tls: { certFile: certs.b.certFile, keyFile: certs.b.keyFile, caFile: otherCa.certFile },
    });
    const refused = untrusting.connect(a.listenUrl as string, { timeoutMs: 5_000 });
    await expect(refused).rejects.toMatchObject({ name: 'TlsError', code: 'TROUPE_ERR_TLS' });
    // No TLS settings at all: the system roots do not know the cluster CA either.
    const plain = await start('node-plain');
    const alsoRefused = plain.connect(a.listenUrl as string, { timeoutMs: 5_000 });
    await expect(alsoRefused).rejects.toMatchObject({ code: 'TROUPE_ERR_TLS' });
  });

  test('a certificate naming another host fails hostname verification', async () => {
    const a = await start('node-a', { listen: { port: 0 }, tls: tlsOf(certs.elsewhere) });
    const b = await start('node-b', { tls: tlsOf(certs.b) });
    const refused = b.connect(a.listenUrl as string, { timeoutMs: 5_000 });
    await expect(refused).rejects.toMatchObject({ code: 'TROUPE_ERR_TLS' });
    await expect(refused).rejects.toThrow(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  test('plain ws:// to a TLS port is refused; TLS to a plain port fails with TlsError', async () => {
    const a = await mtlsServer();
    const plain = await start('node-plain');
    const url = (a.listenUrl as string).replace('wss://', 'ws://');
    await expect(plain.connect(url, { timeoutMs: 2_000 })).rejects.toMatchObject({
      code: 'TROUPE_ERR_PEER_UNAVAILABLE',
    });
    expect(a.refusals().length).toBeGreaterThan(0);
    await stillServes(a);
    const plainServer = await start('node-plain-server', { listen: { port: 0 } });
    const b = await start('node-b', { tls: tlsOf(certs.b) });
    const refused = b.connect(plainServer.listenUrl as string, { timeoutMs: 5_000 });
    await expect(refused).rejects.toMatchObject({ code: 'TROUPE_ERR_TLS' });
  });
});

describe('https on the listen port', () => {
  function get(url: string, ca: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(url, { ca, cert: pem(certs.b.certFile), key: pem(certs.b.keyFile) });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('an httpHandler answers over https; without one, https gets 426', async () => {
    const a = await start('node-a', {
      listen: { port: 0 },
      tls: tlsOf(certs.a),
      httpHandler: (_req, res) => res.end('ok'),
    });
    const b = await start('node-b', { listen: { port: 0 }, tls: tlsOf(certs.a) });
    const https = (s: ActorSystem): string => (s.listenUrl as string).replace('wss://', 'https://');
    expect(await get(`${https(a)}/metrics`, ca.pem)).toBe(200);
    expect(await get(`${https(b)}/metrics`, ca.pem)).toBe(426);
    await expect(get(`${https(a)}/metrics`, otherCa.pem)).rejects.toMatchObject({
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
  });
});

describe('TLS settings are checked at start', () => {
  test.each([
    ['an unreadable file', () => ({ ...tlsOf(certs.a), certFile: `${pki.dir}/missing.crt` })],
    [
      'a key that is not the certificate’s',
      () => ({ ...tlsOf(certs.a), keyFile: certs.b.keyFile }),
    ],
    ['a certificate without its key', () => ({ certFile: certs.a.certFile, caFile: ca.certFile })],
    [
      'client certificates required without a CA',
      () => ({ ...tlsOf(certs.a), caFile: undefined, requireClientCert: true }),
    ],
    ['a file that is not PEM', () => ({ ...tlsOf(certs.a), caFile: `${pki.dir}/node-a.ext` })],
  ])('%s fails start with TlsConfigError', async (_what, settings) => {
    const options = { nodeId: 'node-a', listen: { port: 0 }, logger: silentLogger() };
    const tls = Object.fromEntries(
      Object.entries(settings()).filter(([, v]) => v !== undefined),
    ) as TlsSettings;
    await expect(ActorSystem.start({ ...options, tls })).rejects.toMatchObject({
      code: 'TROUPE_ERR_TLS_CONFIG',
    });
  });
});
