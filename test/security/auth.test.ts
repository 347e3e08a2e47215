// Authentication on every link, with real node and balancer processes started with a cluster
// secret file and a client-token key file: every auth failure gets its typed error or close
// code, the cluster keeps serving, and — read last — no line the processes wrote (at debug
// level) holds the secret, the token key or any token.
//   peer links:  a dialler with the wrong secret or none (AuthenticationError, 1008); an
//                acceptor with the wrong secret, dialled by a real balancer, which refuses it;
//                a genuine dialler's handshake recorded and replayed (1008 "replayed"); a
//                raw peer that never authenticates (1008 after the handshake time);
//   clients:     no token, a malformed one, a wrong signature, an expired one (UnauthorizedError);
//                a key outside the token's prefix and a read-only token writing
//                (ForbiddenError); reads with a read-only token work; a token that expires
//                while connected (TokenExpiredError, then the connection closes 1008);
//   protocols:   a node-protocol dialler on the balancer's client port and a client-protocol
//                hello on a node's port are both refused at the handshake (4004).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClient,
  ForbiddenError,
  TokenExpiredError,
  type TroupeClient,
  UnauthorizedError,
} from '@troupe/client';
import {
  ActorSystem,
  AuthenticationError,
  ProtocolError,
  SecretKey,
  silentLogger,
} from '@troupe/runtime';
import { type ClientTokenClaims, signClientToken } from '@troupe/runtime/internal';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { eventually } from '../harness/eventually.js';
import { stopAll } from '../harness/processes.js';
import { recordingProxy } from '../harness/recording-proxy.js';

const secret = 'auth-test-cluster-secret-0123456789';
const wrongSecret = 'auth-test-some-other-secret-98765';
const tokenKey = 'auth-test-client-token-key-abcdef';
const dir = mkdtempSync(join(tmpdir(), 'troupe-auth-'));
const secretFile = join(dir, 'cluster-secret');
const keyFile = join(dir, 'token-key');
const issued: string[] = [];
const clients: TroupeClient[] = [];
const systems: ActorSystem[] = [];
const sockets: WebSocket[] = [];
let cluster: TestCluster;
let balancers: TestBalancers;
const logLevelBefore = process.env.TROUPE_LOG_LEVEL;

beforeAll(async () => {
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  writeFileSync(keyFile, `${tokenKey}\n`, { mode: 0o600 });
  // The children inherit it through the harness: every log line, debug included, is checked.
  process.env.TROUPE_LOG_LEVEL = 'debug';
  cluster = await TestCluster.create({
    size: 3,
    shards: 4,
    args: ['--cluster-secret-file', secretFile],
  });
  await cluster.startAll();
  balancers = await TestBalancers.create(cluster, 2, [
    ...['--cluster-secret-file', secretFile, '--client-token-key-file', keyFile],
    ...['--client-hello-timeout-ms', '500'],
  ]);
  await balancers.start('b1');
}, 90_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 200 })));
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
  if (logLevelBefore === undefined) delete process.env.TROUPE_LOG_LEVEL;
  else process.env.TROUPE_LOG_LEVEL = logLevelBefore;
});

function token(claims: Partial<ClientTokenClaims> = {}, key = tokenKey): string {
  const nowS = Math.floor(Date.now() / 1_000);
  const signed = signClientToken(SecretKey.from(key), {
    sub: 'auth-test',
    iat: nowS - 1,
    exp: nowS + 600,
    ...claims,
  });
  issued.push(signed);
  return signed;
}

function client(tokenValue: string | undefined, requestTimeoutMs = 20_000): TroupeClient {
  const made = createClient({
    balancers: [balancers.balancer('b1').url],
    name: 'auth-test',
    requestTimeoutMs,
    ...(tokenValue === undefined ? {} : { token: tokenValue }),
  });
  clients.push(made);
  return made;
}

async function system(nodeId: string, options: { secret?: string; listen?: boolean } = {}) {
  const started = await ActorSystem.start({
    nodeId,
    logger: silentLogger(),
    handshakeTimeoutMs: 2_000,
    ...(options.secret === undefined ? {} : { secret: options.secret }),
    ...(options.listen ? { listen: { host: '127.0.0.1', port: 0 } } : {}),
  });
  systems.push(started);
  return started;
}

async function rawSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

const nodeUrl = (): string => cluster.node('n1').url;
const nodeLines = (id: string): string[] => cluster.node(id).process?.lines ?? [];

async function expectAuthError(dialler: ActorSystem, url: string): Promise<AuthenticationError> {
  const error: unknown = await dialler.connect(url, { timeoutMs: 5_000 }).catch((e) => e);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect((error as AuthenticationError).code).toBe('TROUPE_ERR_AUTH');
  expect((error as AuthenticationError).closeCode).toBe(1008);
  return error as AuthenticationError;
}

async function expectServed(key: string): Promise<void> {
  const good = client(token());
  await good.update(key, { ok: true });
  expect((await good.get(key))?.value).toEqual({ ok: true });
}

describe('peer links (the cluster secret)', () => {
  test('a dialler with the wrong secret: AuthenticationError; the node logs it', async () => {
    const intruder = await system('intruder-wrong', { secret: wrongSecret });
    const error = await expectAuthError(intruder, nodeUrl());
    expect(error.message).toContain('failed to prove the cluster secret');
    await intruder.shutdown({ timeoutMs: 200 });
    await eventually(() => nodeLines('n1').some((l) => l.includes('dialler refused our')));
    await expectServed('auth:after-wrong-secret');
  });

  test('a dialler without a secret: AuthenticationError (no proof)', async () => {
    const intruder = await system('intruder-none');
    const error = await expectAuthError(intruder, nodeUrl());
    expect(error.message).toContain('no proof of the cluster secret');
    await intruder.shutdown({ timeoutMs: 200 });
  });

  test('the right secret in process: connected to a real node', async () => {
    const friend = await system('friend', { secret });
    expect(await friend.connect(nodeUrl(), { timeoutMs: 5_000 })).toBe('n1');
  });

  test('an acceptor with the wrong secret: a real balancer refuses to trust it', async () => {
    const impostor = await system('impostor', { secret: wrongSecret, listen: true });
    await balancers.start('b2', ['--seed', impostor.listenUrl!], false);
    const lines = (): string[] => balancers.balancer('b2').process?.lines ?? [];
    // The balancer checks the acceptor's proof first, so it never proves anything to it.
    const refusal = (l: string) =>
      l.includes('seed not reachable') && l.includes('TROUPE_ERR_AUTH');
    await eventually(() => lines().some(refusal));
    expect(impostor.peers()).toEqual([]);
    await balancers.kill('b2');
  });

  test('a recorded handshake replayed on a new connection: 1008 "replayed"', async () => {
    const proxy = await recordingProxy(nodeUrl());
    try {
      const genuine = await system('genuine', { secret });
      expect(await genuine.connect(proxy.url, { timeoutMs: 5_000 })).toBe('n1');
      const [hello, auth] = proxy.sent;
      expect(hello).toBeDefined();
      expect(auth).toBeDefined();
      const ws = await rawSocket(nodeUrl());
      const closed = closeOf(ws);
      ws.send(hello as Buffer);
      ws.send(auth as Buffer);
      const { code, reason } = await closed;
      expect(code).toBe(1008);
      expect(reason).toContain('replayed');
    } finally {
      proxy.close();
    }
  });

  test('a raw peer that never authenticates is closed with 1008 in bounded time', async () => {
    const ws = await rawSocket(nodeUrl());
    const { code, reason } = await closeOf(ws);
    expect(code).toBe(1008);
    expect(reason).toMatch(/^not authenticated within \d+ ms$/);
  });
});

describe('clients (tokens)', () => {
  test('a valid token: served', async () => {
    await expectServed('auth:valid');
  });

  test('no token, malformed, wrong signature, expired: UnauthorizedError', async () => {
    const nowS = Math.floor(Date.now() / 1_000);
    const bad = [
      undefined,
      'tr1.garbage',
      token({}, 'auth-test-a-different-signing-key'),
      token({ iat: nowS - 7_200, exp: nowS - 3_600 }),
    ];
    for (const tokenValue of bad) {
      const error: unknown = await client(tokenValue, 5_000)
        .get('auth:k')
        .catch((e) => e);
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect((error as UnauthorizedError).code).toBe('TROUPE_ERR_UNAUTHORIZED');
    }
  });

  test("a key outside the token's prefix: ForbiddenError; inside it: served", async () => {
    const scoped = client(token({ prefix: 'user:' }));
    await scoped.update('user:1', { name: 'Ada' });
    for (const call of [() => scoped.get('admin:1'), () => scoped.update('admin:1', 1)]) {
      const error: unknown = await call().catch((e) => e);
      expect(error).toBeInstanceOf(ForbiddenError);
      expect((error as ForbiddenError).code).toBe('TROUPE_ERR_FORBIDDEN');
    }
    expect((await scoped.get('user:1'))?.value).toEqual({ name: 'Ada' });
  });

  test('a read-only token: every write ForbiddenError, reads served', async () => {
    await client(token()).update('auth:ro', 'before');
    const reader = client(token({ ro: true }));
    const writes = [
      () => reader.update('auth:ro', 'after'),
      () => reader.create('auth:ro-new', 1),
      () => reader.delete('auth:ro'),
    ];
    for (const write of writes) {
      const error: unknown = await write().catch((e) => e);
      expect(error).toBeInstanceOf(ForbiddenError);
    }
    expect((await reader.get('auth:ro'))?.value).toBe('before');
  });

  test('a token that expires while connected: TokenExpiredError, then closed', async () => {
    const nowS = Math.floor(Date.now() / 1_000);
    const shortLived = client(token({ iat: nowS, exp: nowS + 4 }), 5_000);
    expect(await shortLived.get('auth:valid')).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, (nowS + 4) * 1_000 - Date.now() + 100));
    const error: unknown = await shortLived.get('auth:valid').catch((e) => e);
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect((error as TokenExpiredError).code).toBe('TROUPE_ERR_TOKEN_EXPIRED');
    const after: unknown = await shortLived.get('auth:valid').catch((e) => e);
    expect(after).toBeInstanceOf(UnauthorizedError);
  });

  test('a client that sends no hello is closed with 1008', async () => {
    const ws = await rawSocket(balancers.balancer('b1').url);
    expect(await closeOf(ws)).toEqual({
      code: 1008,
      reason: 'not authenticated: no hello within 500 ms',
    });
  });
});

describe('the wrong protocol on a port', () => {
  test("a node-protocol dialler on the balancer's client port: ProtocolError 4004", async () => {
    const peer = await system('peer-on-client-port', { secret });
    const error: unknown = await peer
      .connect(balancers.balancer('b1').url, { timeoutMs: 5_000 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe('TROUPE_ERR_HANDSHAKE');
    expect((error as ProtocolError).closeCode).toBe(4004);
  });

  test("a client-protocol hello on a node's port: closed with 4004", async () => {
    const ws = await rawSocket(nodeUrl());
    const closed = closeOf(ws);
    const packr = new Packr({ useRecords: false });
    ws.send(packr.pack({ type: 'hello', proto: 1, token: token() }));
    expect(await closed).toEqual({ code: 4004, reason: 'expected a handshake frame' });
  });
});

describe('logs', () => {
  test('no process wrote the secret, the token key or any token, even at debug', () => {
    const processes = [...cluster.nodes.map((n) => n.process), balancers.balancer('b1').process];
    const lines = processes.flatMap((p) => p?.lines ?? []);
    expect(lines.some((l) => l.includes('"level":20'))).toBe(true);
    expect(lines.some((l) => l.includes('refusing inbound connection'))).toBe(true);
    expect(lines.some((l) => l.includes('client connection closed'))).toBe(true);
    expect(issued.length).toBeGreaterThan(5);
    const all = lines.join('\n');
    for (const forbidden of [secret, wrongSecret, tokenKey, ...issued]) {
      expect(all).not.toContain(forbidden);
    }
  });
});
