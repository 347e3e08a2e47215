// Fuzz targets: the client protocol at both ends. The balancer's ClientConnection is driven
// through a fake socket with the hello and then request frames (every op, ping included),
// exactly as ws delivers them; the SDK's BalancerLink with the welcome and then reply frames;
// and a balancer's check of node heartbeats (the `health` actor's accepts) after the frame's
// msgpack decode. The first input byte picks which frame of the exchange is fuzzed.
import { EventEmitter } from 'node:events';
import type { KvReply, KvRequest } from '@troupe/client/protocol';
import {
  ClientCloseCode,
  clientProtocolVersion,
  isNodeHeartbeat,
  kvLimits,
} from '@troupe/client/protocol';
import type { Logger } from '@troupe/runtime';
import { decodeFrame, encodeValue } from '@troupe/runtime/internal';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import type { WebSocket } from 'ws';
import { ClientConnection } from '../../../packages/balancer/src/client/client-connection.js';
import { BalancerLink, LinkRefusedError } from '../../../packages/client/src/connection.js';
import type { SocketEvent, SocketLike } from '../../../packages/client/src/socket.js';
import { defineTarget, expectEqual, expectNoThrow, type Sample, violation } from '../target.js';

const packr = new Packr({ useRecords: false });
const pack = (value: unknown): Uint8Array => Uint8Array.from(packr.pack(value));
const quietLogger = {
  warn() {},
  debug() {},
  error() {},
  info() {},
} as unknown as Logger;
const closeCodes: ReadonlySet<number> = new Set(Object.values(ClientCloseCode));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Validates a close the way ws does: it throws on a bad code or a reason over 123 bytes. */
function checkClose(code: number, reason: string): void {
  if (!closeCodes.has(code)) violation(`closed with undocumented code ${code}`);
  if (Buffer.byteLength(reason) > 123) violation(`close reason over 123 bytes: ${reason}`);
}

class FakeServerSocket extends EventEmitter {
  readonly sent: Uint8Array[] = [];
  closed: { code: number; reason: string } | null = null;
  isPaused = false;
  bufferedAmount = 0;
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(code: number, reason: string): void {
    checkClose(code, reason);
    this.closed ??= { code, reason };
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  terminate(): void {}
}

const keyArb = fc.string({ minLength: 1, maxLength: 24 });
const sessionArb = fc.record({
  id: fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
  seq: fc.integer({ min: 1, max: 2 ** 40 }),
});
const valueArb = fc.uint8Array({ maxLength: 48 });
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** One request of every op, and the balancer's own ping. */
export const requestArb: fc.Arbitrary<KvRequest | { op: 'ping' }> = fc
  .oneof(
    fc.record({
      op: fc.constant('get' as const),
      key: keyArb,
      consistency: opt(fc.constantFrom('linearizable' as const, 'stale' as const)),
    }),
    fc.record({
      op: fc.constant('update' as const),
      key: keyArb,
      value: valueArb,
      ifVersion: opt(fc.maxSafeNat()),
      session: opt(sessionArb),
    }),
    fc.record({
      op: fc.constant('create' as const),
      key: keyArb,
      value: valueArb,
      session: opt(sessionArb),
    }),
    fc.record({
      op: fc.constant('delete' as const),
      key: keyArb,
      ifVersion: opt(fc.maxSafeNat()),
      session: opt(sessionArb),
    }),
    fc.constant({ op: 'ping' as const }),
  )
  .map(withoutUndefined);

const requestFrameArb = fc.uniqueArray(
  fc.tuple(fc.nat(2 ** 32 - 1), requestArb, opt(fc.integer({ min: 1, max: 120_000 }))),
  { minLength: 1, maxLength: 5, selector: ([id]) => id },
);

const helloArb = fc
  .record({
    type: fc.constant('hello'),
    proto: fc.constant(clientProtocolVersion),
    token: opt(fc.option(fc.string({ maxLength: 20 }), { nil: null })),
    name: opt(fc.string({ maxLength: 20 })),
  })
  .map(withoutUndefined);
const validHello = pack({ type: 'hello', proto: clientProtocolVersion, name: 'fuzz' });

const balancerValid: fc.Arbitrary<Sample> = fc.oneof(
  helloArb.map((hello): Sample => ({ bytes: Uint8Array.from([0, ...pack(hello)]), value: hello })),
  requestFrameArb.map((items): Sample => {
    const frame = items.map(([id, request, ms]) =>
      ms === undefined ? [id, request] : [id, request, ms],
    );
    return { bytes: Uint8Array.from([1, ...pack(frame)]), value: items };
  }),
);

const welcome = {
  type: 'welcome' as const,
  proto: clientProtocolVersion,
  balancerId: 'b1',
  shardCount: 16,
  inflightMax: 1_024,
  requestsPerFrameMax: 1_024,
  frameBytesMax: 4 * 1024 * 1024,
  keyBytesMax: kvLimits.keyBytesMax,
  valueBytesMax: kvLimits.valueBytesMax,
};

interface Exchange {
  readonly socket: FakeServerSocket;
  readonly routed: KvRequest[];
}

async function driveBalancer(input: Uint8Array): Promise<Exchange> {
  const socket = new FakeServerSocket();
  const routed: KvRequest[] = [];
  const connection = new ClientConnection(socket as unknown as WebSocket, {
    route: (request) => {
      routed.push(request);
      return new Promise<KvReply>(() => {});
    },
    welcome: () => welcome,
    tokenKey: null,
    limits: {
      inflightMax: 1_024,
      handshakeTimeoutMs: 60_000,
      requestTimeoutMsDefault: 5_000,
      outboundPauseBytes: 8 * 1024 * 1024,
      slowConsumerBytes: 64 * 1024 * 1024,
      idleTimeoutMs: 60_000,
      keyBytesMax: kvLimits.keyBytesMax,
      valueBytesMax: kvLimits.valueBytesMax,
    },
    logger: quietLogger,
    hooks: { requestFinished() {}, rejected() {}, inflightChanged() {} },
  });
  const frames = input[0] === 1 ? [validHello, input.subarray(1)] : [input.subarray(1)];
  try {
    for (const frame of frames)
      expectNoThrow(() => socket.emit('message', Buffer.from(frame), true));
    await nextTurn();
  } finally {
    socket.emit('close');
  }
  void connection;
  return { socket, routed };
}

function checkBalancerReplies(socket: FakeServerSocket): void {
  for (const frame of socket.sent.slice(1)) {
    const replies = packr.unpack(frame) as [number, { ok: boolean; code?: unknown }][];
    for (const [, reply] of replies) {
      if (!reply.ok && !/^TROUPE_ERR_[A-Z_]+$/.test(String(reply.code))) {
        violation(`error reply without a typed code: ${JSON.stringify(reply)}`);
      }
    }
  }
}

export const balancerClientConnection = defineTarget({
  name: 'balancer-client-frames',
  entry: 'ClientConnection.onMessage (hello, then [id, request] frames of every op)',
  codec: 'msgpack',
  valid: balancerValid,
  async run(input) {
    const { socket, routed } = await driveBalancer(input);
    checkBalancerReplies(socket);
    for (const request of routed) {
      const keyBytes = Buffer.byteLength(request.key);
      if (keyBytes === 0 || keyBytes > kvLimits.keyBytesMax) violation('bad key routed');
      if ('value' in request && request.value.byteLength > kvLimits.valueBytesMax) {
        violation('oversized value routed');
      }
    }
  },
  async roundTrip(sample) {
    const { socket, routed } = await driveBalancer(sample.bytes);
    if (socket.closed !== null)
      violation(`valid input closed the connection: ${socket.closed.reason}`);
    if (sample.bytes[0] !== 1) return;
    const items = sample.value as [number, { op: string }][];
    const expected = items.map(([, r]) => r).filter((r) => r.op !== 'ping');
    expectEqual(routed, expected, 'routed requests');
  },
});

// ---------------------------------------------------------------------------------------------
// The SDK's side: the welcome, then reply frames.

class FakeClientSocket implements SocketLike {
  static last: FakeClientSocket | null = null;
  binaryType = 'arraybuffer';
  readyState = 1;
  bufferedAmount = 0;
  closed: { code: number; reason: string } | null = null;
  onopen: ((event: SocketEvent) => void) | null = null;
  onmessage: ((event: SocketEvent) => void) | null = null;
  onclose: ((event: SocketEvent) => void) | null = null;
  onerror: ((event: SocketEvent) => void) | null = null;
  constructor(readonly url: string) {
    FakeClientSocket.last = this;
  }
  send(): void {}
  close(code = 1000, reason = ''): void {
    checkClose(code, reason);
    this.closed ??= { code, reason };
    this.readyState = 3;
  }
}

const replyArb: fc.Arbitrary<KvReply> = fc.oneof(
  fc.record({
    ok: fc.constant(true as const),
    op: fc.constant('get' as const),
    value: fc.option(valueArb, { nil: null }),
    version: fc.maxSafeNat(),
  }),
  fc.record({
    ok: fc.constant(true as const),
    op: fc.constantFrom('update' as const, 'create' as const, 'delete' as const),
    version: fc.maxSafeNat(),
    prevVersion: fc.maxSafeNat(),
  }),
  fc.record({
    ok: fc.constant(false as const),
    code: fc.stringMatching(/^TROUPE_ERR_[A-Z_]{1,16}$/),
    message: fc.string({ maxLength: 30 }),
  }),
);

const linkValid: fc.Arbitrary<Sample> = fc.oneof(
  fc.constant({ bytes: Uint8Array.from([0, ...pack(welcome)]), value: [] }),
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 2 ** 32 - 1 }), replyArb), { maxLength: 5 })
    .map((replies): Sample => ({ bytes: Uint8Array.from([1, ...pack(replies)]), value: replies })),
);

async function driveLink(input: Uint8Array): Promise<{ replies: unknown[]; closed: boolean }> {
  const first = input[0] === 1 ? pack(welcome) : input.subarray(1);
  const opening = BalancerLink.open(
    'ws://fuzz',
    FakeClientSocket,
    { token: null, name: 'f' },
    60_000,
  );
  const socket = FakeClientSocket.last!;
  expectNoThrow(() => socket.onopen?.({}));
  expectNoThrow(() => socket.onmessage?.({ data: first.slice().buffer }));
  let link: BalancerLink;
  try {
    link = await opening;
  } catch (error) {
    if (!(error instanceof LinkRefusedError)) violation(`open rejected with ${String(error)}`);
    return { replies: [], closed: true };
  }
  const replies: unknown[] = [];
  const state = { closed: false };
  const closed = (): void => {
    state.closed = true;
  };
  link.attach(
    { reply: (id, reply) => replies.push([id, reply]), closed },
    { idleMs: 1e9, timeoutMs: 1e9 },
  );
  if (input[0] === 1) {
    expectNoThrow(() => socket.onmessage?.({ data: input.slice(1).buffer }));
  }
  link.close();
  return { replies, closed: state.closed };
}

export const clientReplies = defineTarget({
  name: 'client-reply-frames',
  entry: 'BalancerLink (SDK): the welcome check, then onMessage of [id, reply] frames',
  codec: 'msgpack',
  valid: linkValid,
  async run(input) {
    const { replies } = await driveLink(input);
    for (const item of replies) {
      const [, reply] = item as [number, { ok?: unknown; code?: unknown }];
      if (reply.ok !== true && !(reply.ok === false && typeof reply.code === 'string')) {
        violation(`malformed reply handed to the SDK: ${JSON.stringify(item)}`);
      }
    }
  },
  async roundTrip(sample) {
    const { replies } = await driveLink(sample.bytes);
    expectEqual(replies, sample.value, 'replies');
  },
});

// ---------------------------------------------------------------------------------------------
// Node heartbeats, as the balancer's `health` actor accepts them from a tell's payload.

const beatArb = fc.record({
  type: fc.constant('nodeHeartbeat'),
  nodeId: fc.stringMatching(/^n[0-9]{1,3}$/),
  zone: fc.stringMatching(/^[a-z0-9-]{0,12}$/),
  url: fc.option(
    fc.nat(65_535).map((p) => `ws://127.0.0.1:${p}`),
    { nil: null },
  ),
  configVersion: fc.maxSafeNat(),
  seq: fc.maxSafeNat(),
  groups: fc.array(
    fc.tuple(
      fc.oneof(
        fc.constant('meta'),
        fc.nat(1_023).map((n) => `s${n}`),
      ),
      fc.constantFrom('leader', 'follower', 'candidate'),
      fc.maxSafeNat(),
      fc.option(fc.stringMatching(/^n[0-9]{1,3}$/), { nil: null }),
      fc.maxSafeNat(),
      fc.maxSafeNat(),
    ),
    { maxLength: 8 },
  ),
});

export const nodeHeartbeat = defineTarget({
  name: 'node-heartbeat',
  entry: 'msgpack decode + isNodeHeartbeat (balancer health actor accepts)',
  codec: 'msgpack',
  valid: beatArb.map(
    (beat): Sample => ({ bytes: Uint8Array.from(encodeValue(beat)), value: beat }),
  ),
  run(input) {
    const decoded = decodeFrame(input);
    if (!decoded.ok) return;
    const accepted = expectNoThrow(() => isNodeHeartbeat(decoded.value));
    if (typeof accepted !== 'boolean') violation('accepts returned a non-boolean');
    if (accepted && (decoded.value as { groups: unknown[] }).groups.length > 4_096) {
      violation('a heartbeat over 4,096 groups was accepted');
    }
  },
  roundTrip(sample) {
    const decoded = decodeFrame(sample.bytes);
    if (!decoded.ok || !isNodeHeartbeat(decoded.value)) violation('a valid heartbeat was refused');
    expectEqual(decoded.value, sample.value, 'heartbeat');
  },
});
