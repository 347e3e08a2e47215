// The authenticated handshake between real in-process systems and raw sockets: every failure
// (wrong secret either side, a missing secret either side, a wrong or missing proof, a
// replayed or reflected nonce, a dialler that never finishes) closes with 1008 and a reason,
// the dialler gets AuthenticationError, and no log line holds the secret, a nonce or a proof.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { recordingProxy } from '../../../../test/harness/recording-proxy.js';
import {
  type Actor,
  ActorSystem,
  type ActorSystemOptions,
  AuthenticationError,
  CloseCode,
  errorCodeForClose,
  type Logger,
  ProtocolError,
  SecretKey,
} from '../../src/internal.js';
import {
  authBytes,
  closeOf,
  dialProof,
  helloBytes,
  nextMessage,
  openRaw,
  parseChallenge,
  rawHello,
} from '../fixtures/raw-peer.js';

const secret = 'the-cluster-secret-for-these-tests';
const otherSecret = 'not-the-cluster-secret-but-long';
const logText: string[] = [];

function capturingLogger(): Logger {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logText.push(String(chunk));
      done();
    },
  });
  return pino({ level: 'debug' }, stream);
}

const systems: ActorSystem[] = [];
const sockets: WebSocket[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  for (const ws of sockets) ws.terminate();
  for (const close of closers.splice(0)) close();
  await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 200 })));
  systems.length = 0;
  sockets.length = 0;
});

async function start(nodeId: string, options: Partial<ActorSystemOptions> = {}) {
  const system = await ActorSystem.start({ nodeId, logger: capturingLogger(), ...options });
  system.spawn('echo', (): Actor => ({ receive: (m) => m }));
  systems.push(system);
  return system;
}

function acceptor(options: Partial<ActorSystemOptions> = {}): Promise<ActorSystem> {
  return start('acceptor', { listen: { port: 0 }, handshakeTimeoutMs: 500, ...options });
}

async function raw(url: string): Promise<WebSocket> {
  const ws = await openRaw(url);
  sockets.push(ws);
  return ws;
}

async function refusalOf(dialler: ActorSystem, url: string): Promise<AuthenticationError> {
  const error: unknown = await dialler.connect(url, { timeoutMs: 2_000 }).catch((e) => e);
  expect(error).toBeInstanceOf(AuthenticationError);
  expect(error).toBeInstanceOf(ProtocolError);
  expect((error as AuthenticationError).code).toBe('TROUPE_ERR_AUTH');
  expect((error as AuthenticationError).closeCode).toBe(1008);
  return error as AuthenticationError;
}

describe('two systems', () => {
  test('the same secret on both sides: connected, both ways authenticated', async () => {
    const a = await acceptor({ secret });
    const b = await start('dialler', { secret });
    expect(await b.connect(a.listenUrl!)).toBe('acceptor');
    expect(await b.ref('acceptor', 'echo').ask('hi')).toBe('hi');
  });

  test('no secret on either side (loopback dev): the handshake runs, without proofs', async () => {
    const a = await acceptor();
    const b = await start('dialler');
    expect(await b.connect(a.listenUrl!)).toBe('acceptor');
  });

  test('the dialler has the wrong secret: AuthenticationError; the acceptor logs it', async () => {
    const a = await acceptor({ secret });
    const b = await start('dialler', { secret: otherSecret });
    const error = await refusalOf(b, a.listenUrl!);
    expect(error.message).toContain('failed to prove the cluster secret');
    await vi.waitFor(() => expect(logText.join('')).toContain('dialler refused our handshake'));
  });

  test('the acceptor has the wrong secret: the dialler refuses before proving', async () => {
    const a = await acceptor({ secret: otherSecret });
    const b = await start('dialler', { secret });
    await refusalOf(b, a.listenUrl!);
  });

  test('a dialler without a secret is refused by an acceptor with one', async () => {
    const a = await acceptor({ secret });
    const b = await start('dialler');
    const error = await refusalOf(b, a.listenUrl!);
    expect(error.message).toContain('no proof of the cluster secret');
  });

  test('a dialler with a secret refuses an acceptor without one', async () => {
    const a = await acceptor();
    const b = await start('dialler', { secret });
    const error = await refusalOf(b, a.listenUrl!);
    expect(error.message).toContain('the peer has no cluster secret');
  });
});

describe('raw dialler', () => {
  async function challenged(url: string, hello = rawHello()) {
    const ws = await raw(url);
    const next = nextMessage(ws);
    ws.send(helloBytes(hello));
    return { ws, hello, challenge: parseChallenge(await next) };
  }

  test('a wrong proof closes with 1008', async () => {
    const a = await acceptor({ secret });
    const { ws, hello, challenge } = await challenged(a.listenUrl!);
    const closed = closeOf(ws);
    ws.send(authBytes(dialProof(SecretKey.from(otherSecret), hello, challenge)));
    expect(await closed).toEqual({ code: 1008, reason: 'wrong proof of the cluster secret' });
    expect(errorCodeForClose(1008)).toBe('TROUPE_ERR_AUTH');
  });

  test('a missing proof closes with 1008', async () => {
    const a = await acceptor({ secret });
    const { ws } = await challenged(a.listenUrl!);
    const closed = closeOf(ws);
    ws.send(authBytes(null));
    expect(await closed).toEqual({ code: 1008, reason: 'no proof of the cluster secret' });
  });

  test('hello, then no auth within the handshake time: 1008', async () => {
    const a = await acceptor({ secret });
    const { ws } = await challenged(a.listenUrl!);
    expect(await closeOf(ws)).toEqual({ code: 1008, reason: 'not authenticated within 500 ms' });
  });

  test("the acceptor's own nonce sent back to it (reflection) is refused as a replay", async () => {
    const a = await acceptor({ secret });
    const { challenge } = await challenged(a.listenUrl!);
    const ws = await raw(a.listenUrl!);
    const closed = closeOf(ws);
    ws.send(helloBytes(rawHello({ nonce: challenge.nonce })));
    expect(await closed).toEqual({ code: 1008, reason: 'replayed handshake: nonce seen before' });
  });
});

describe('replay', () => {
  test("a genuine dialler's recorded hello and auth, replayed: 1008 replayed", async () => {
    const a = await acceptor({ secret });
    const proxy = await recordingProxy(a.listenUrl!);
    closers.push(() => proxy.close());
    const b = await start('dialler', { secret });
    expect(await b.connect(proxy.url)).toBe('acceptor');
    const [hello, auth] = proxy.sent;
    expect(hello).toBeDefined();
    expect(auth).toBeDefined();
    const ws = await raw(a.listenUrl!);
    const closed = closeOf(ws);
    ws.send(hello as Buffer);
    ws.send(auth as Buffer);
    const { code, reason } = await closed;
    expect(code).toBe(CloseCode.unauthenticated);
    expect(reason).toContain('replayed');
  });
});

describe('logs', () => {
  test('never hold the secret, a nonce or a proof, whatever failed', async () => {
    logText.length = 0;
    const a = await acceptor({ secret });
    const good = await start('good', { secret });
    await good.connect(a.listenUrl!);
    await refusalOf(await start('wrong', { secret: otherSecret }), a.listenUrl!);
    await refusalOf(await start('none'), a.listenUrl!);
    const ws = await raw(a.listenUrl!);
    const hello = rawHello();
    const next = nextMessage(ws);
    ws.send(helloBytes(hello));
    const challenge = parseChallenge(await next);
    const closed = closeOf(ws);
    ws.send(authBytes(dialProof(SecretKey.from(otherSecret), hello, challenge)));
    await closed;
    await vi.waitFor(() => expect(logText.join('')).toContain('refusing inbound connection'));
    const all = logText.join('');
    expect(all).toContain('"level":40');
    for (const forbidden of [secret, otherSecret, String(hello.nonce), challenge.nonce]) {
      expect(all).not.toContain(forbidden);
    }
    const proof = Buffer.from(challenge.proof ?? []);
    for (const encoding of ['hex', 'base64'] as const) {
      expect(all).not.toContain(proof.toString(encoding));
    }
  });
});

describe('the wrong protocol on the port', () => {
  test("a client-protocol hello to a node's port: 4004 (TROUPE_ERR_HANDSHAKE)", async () => {
    const a = await acceptor({ secret });
    const { Packr } = await import('msgpackr');
    const ws = await raw(a.listenUrl!);
    const closed = closeOf(ws);
    ws.send(new Packr({ useRecords: false }).pack({ type: 'hello', proto: 1, token: 'tr1.x.y' }));
    const { code, reason } = await closed;
    expect(code).toBe(CloseCode.handshake);
    expect(errorCodeForClose(code)).toBe('TROUPE_ERR_HANDSHAKE');
    expect(reason).toBe('expected a handshake frame');
  });
});
