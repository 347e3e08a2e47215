// Client tokens at the balancer's client connection, over real sockets with a fake router:
// a hello without a token, with a malformed, wrongly signed or expired one is closed with 4003
// and a reason; a scoped token gets TROUPE_ERR_FORBIDDEN for a key outside its prefix and, if
// read-only, for every write, while its reads are routed; a token that expires while connected
// gets TROUPE_ERR_TOKEN_EXPIRED (for a request or a ping) and the connection is closed with
// 1008; a runtime (node to node) hello on the client port is refused as not a client hello.
// No log line holds a token.
import { Writable } from 'node:stream';
import type { KvReply, KvRequest } from '@troupe/client/protocol';
import { ClientCloseCode, kvLimits } from '@troupe/client/protocol';
import { SecretKey } from '@troupe/runtime';
import {
  type ClientTokenClaims,
  EnvelopeKind,
  encodeWholeFrame,
  newNonce,
  signClientToken,
} from '@troupe/runtime/internal';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ClientConnection, type ClientConnectionDeps } from '../src/client/client-connection.js';

const packr = new Packr({ useRecords: false });
const keyText = 'balancer-test-token-signing-key';
const key = SecretKey.from(keyText);
const startMs = 1_800_000_000_000;
let nowMs = startMs;
const logText: string[] = [];
const routed: KvRequest[] = [];

const deps: ClientConnectionDeps = {
  route: async (request) => {
    routed.push(request);
    const reply: KvReply =
      request.op === 'get'
        ? { ok: true, op: 'get', value: null, version: 0 }
        : { ok: true, op: request.op, version: 1, prevVersion: 0 };
    return reply;
  },
  welcome: () => ({
    type: 'welcome',
    proto: 1,
    balancerId: 'b-test',
    shardCount: 1,
    inflightMax: 16,
    requestsPerFrameMax: 1_024,
    frameBytesMax: 64 * 1024,
    keyBytesMax: 1_024,
    valueBytesMax: 1_024,
  }),
  tokenKey: key,
  nowMs: () => nowMs,
  limits: {
    inflightMax: 16,
    handshakeTimeoutMs: 2_000,
    requestTimeoutMsDefault: 1_000,
    outboundPauseBytes: 64 * 1024,
    slowConsumerBytes: 1024 * 1024,
    idleTimeoutMs: 60_000,
    keyBytesMax: kvLimits.keyBytesMax,
    valueBytesMax: kvLimits.valueBytesMax,
  },
  logger: pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        logText.push(String(chunk));
        done();
      },
    }),
  ),
  hooks: { requestFinished: () => {}, rejected: () => {}, inflightChanged: () => {} },
};

let server: WebSocketServer;
let url: string;
const sockets: WebSocket[] = [];
const issued: string[] = [];

beforeAll(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (ws) => new ClientConnection(ws, deps));
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  url = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
});

afterEach(() => {
  for (const ws of sockets.splice(0)) ws.terminate();
  nowMs = startMs;
  routed.length = 0;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  // Every token this file issued, the key, and the key's file text never reached a log line.
  const all = logText.join('');
  expect(all).toContain('client connection closed');
  for (const secret of [keyText, ...issued]) expect(all).not.toContain(secret);
});

function tokenFor(claims: Partial<ClientTokenClaims> = {}, signingKey = key): string {
  const token = signClientToken(signingKey, {
    sub: 'tester',
    iat: startMs / 1_000,
    exp: startMs / 1_000 + 60,
    ...claims,
  });
  issued.push(token);
  return token;
}

interface Opened {
  ws: WebSocket;
  messages: unknown[];
  closed: Promise<{ code: number; reason: string }>;
}

async function open(first: unknown): Promise<Opened> {
  const ws = new WebSocket(url);
  sockets.push(ws);
  const messages: unknown[] = [];
  ws.on('message', (data: Buffer) => messages.push(packr.unpack(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(Buffer.isBuffer(first) ? first : packr.pack(first));
  return { ws, messages, closed };
}

async function welcomed(token: string): Promise<Opened> {
  const opened = await open({ type: 'hello', proto: 1, token });
  await expect.poll(() => opened.messages.length).toBe(1);
  expect(opened.messages[0]).toMatchObject({ type: 'welcome' });
  return opened;
}

async function ask(opened: Opened, id: number, request: unknown): Promise<KvReply> {
  const before = opened.messages.length;
  opened.ws.send(packr.pack([[id, request]]));
  await expect.poll(() => opened.messages.length).toBeGreaterThan(before);
  const frame = opened.messages[before] as [number, KvReply][];
  expect(frame[0]?.[0]).toBe(id);
  return frame[0]?.[1] as KvReply;
}

test('every bad hello: closed with 4003, the reason names the problem, not the token', async () => {
  const cases: [unknown, string][] = [
    [undefined, 'no token'],
    ['tr1.not-a-token', 'token malformed'],
    [tokenFor({}, SecretKey.from('some-other-signing-key')), 'token signature invalid'],
    [tokenFor({ exp: startMs / 1_000 }), 'token expired'],
  ];
  for (const [token, reason] of cases) {
    const opened = await open({ type: 'hello', proto: 1, ...(token ? { token } : {}) });
    expect(await opened.closed).toEqual({ code: ClientCloseCode.unauthorized, reason });
  }
});

test('a valid token is welcomed and its requests routed', async () => {
  const opened = await welcomed(tokenFor());
  expect(await ask(opened, 1, { op: 'update', key: 'k', value: new Uint8Array([1]) })).toEqual({
    ok: true,
    op: 'update',
    version: 1,
    prevVersion: 0,
  });
});

test("a key outside the token's prefix: TROUPE_ERR_FORBIDDEN, nothing routed", async () => {
  const opened = await welcomed(tokenFor({ prefix: 'user:' }));
  const denied = await ask(opened, 1, { op: 'get', key: 'admin:1' });
  expect(denied).toMatchObject({ ok: false, code: 'TROUPE_ERR_FORBIDDEN' });
  expect(routed).toEqual([]);
  expect(await ask(opened, 2, { op: 'get', key: 'user:1' })).toMatchObject({ ok: true });
});

test('a read-only token: every write FORBIDDEN, reads routed', async () => {
  const opened = await welcomed(tokenFor({ ro: true }));
  const writes = [
    { op: 'update', key: 'k', value: new Uint8Array([1]) },
    { op: 'create', key: 'k', value: new Uint8Array([1]) },
    { op: 'delete', key: 'k' },
  ];
  for (const [i, write] of writes.entries()) {
    const reply = await ask(opened, i + 1, write);
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_FORBIDDEN' });
    expect(reply.ok === false && reply.message).toMatch(/read-only/);
  }
  expect(routed).toEqual([]);
  expect(await ask(opened, 9, { op: 'get', key: 'k' })).toMatchObject({ ok: true, op: 'get' });
});

test('a token that expires while connected: TOKEN_EXPIRED, then closed 1008', async () => {
  const opened = await welcomed(tokenFor());
  expect(await ask(opened, 1, { op: 'get', key: 'k' })).toMatchObject({ ok: true });
  nowMs = startMs + 60_000;
  const reply = await ask(opened, 2, { op: 'get', key: 'k' });
  expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_TOKEN_EXPIRED' });
  expect(await opened.closed).toEqual({ code: 1008, reason: 'token expired' });
});

test('an expired token cannot keep its connection alive on pings', async () => {
  const opened = await welcomed(tokenFor());
  nowMs = startMs + 60_000;
  expect(await ask(opened, 0, { op: 'ping' })).toMatchObject({ code: 'TROUPE_ERR_TOKEN_EXPIRED' });
  expect(await opened.closed).toEqual({ code: 1008, reason: 'token expired' });
});

test('a runtime (node-to-node) hello on the client port: closed with 4004', async () => {
  const hello = [EnvelopeKind.hello, 2, 'intruder', 'node', null, 'i1', newNonce()];
  const opened = await open(encodeWholeFrame([hello]));
  expect(await opened.closed).toEqual({
    code: ClientCloseCode.handshake,
    reason: 'first frame must be a hello map',
  });
});
