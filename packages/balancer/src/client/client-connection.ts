// One client's WebSocket: the hello, then frames of [id, request] tuples routed concurrently,
// replies coalesced into one frame per event-loop turn. Bounded both ways, so one client can
// neither exhaust the balancer nor stall anyone else:
// - at most `inflightMax` requests routed at once; beyond that the socket is paused and TCP
//   pushes back on the client. The socket stays paused while any request waits in the
//   backlog, so the backlog only holds frames ws had already read off the socket when it was
//   paused (the rest of one socket read): a client may pipeline freely and is never closed
//   for it;
// - replies the client does not read pile up in the socket buffer: past `outboundPauseBytes`
//   no new request starts, past `slowConsumerBytes` the connection is closed (4008). The
//   close frame queues behind the unread replies, so a client that reads again learns why;
//   one that never does is cut off after `slowConsumerGraceMs`.
// - a connection that sends no complete message and answers no ping for `idleTimeoutMs` after
//   its hello is closed (4010) and cut, which also ends a frame trickled in and never finished.
// A malformed frame closes the connection with a code and reason; a malformed request gets a
// typed error under its id and the connection carries on.
import type { BalancerWelcome, KvReply, KvRequest } from '@troupe/client/protocol';
import {
  ClientCloseCode,
  checkHello,
  checkRequest,
  checkRequestFrame,
  type FrameItem,
  isPingRequest,
  type PingReply,
  pingReply,
  replyFromError,
} from '@troupe/client/protocol';
import type { Logger, SecretKey } from '@troupe/runtime';
import { type ClientTokenClaims, tokenDenies, verifyClientToken } from '@troupe/runtime/internal';
import { C1, Packr } from 'msgpackr';
import type { RawData, WebSocket } from 'ws';

export interface ClientLimits {
  readonly inflightMax: number;
  readonly handshakeTimeoutMs: number;
  readonly requestTimeoutMsDefault: number;
  readonly outboundPauseBytes: number;
  readonly slowConsumerBytes: number;
  /** No complete message and no pong this long (after the hello) closes with 4010. */
  readonly idleTimeoutMs: number;
  /** At most the protocol's; announced in the welcome, enforced per request. */
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
}

export interface ClientHooks {
  requestFinished(op: string, code: string, seconds: number): void;
  rejected(reason: string): void;
  inflightChanged(delta: number): void;
}

export interface ClientConnectionDeps {
  readonly route: (request: KvRequest, timeoutMs: number) => Promise<KvReply>;
  readonly welcome: () => BalancerWelcome | null;
  /** Client tokens must be signed with this key (client-token.ts); null lets anyone in. */
  readonly tokenKey: SecretKey | null;
  /** Wall-clock time for token expiry; Date.now by default. */
  readonly nowMs?: () => number;
  readonly limits: ClientLimits;
  readonly logger: Logger;
  readonly hooks: ClientHooks;
}

const packr = new Packr({ useRecords: false });
const outboundCheckMs = 10;
/** How long a slow consumer has to read up to the 4008 close before its socket is cut. */
const slowConsumerGraceMs = 5_000;
/** How long an idle connection has to answer our 4010 close before its socket is cut. */
const idleCloseGraceMs = 1_000;

export class ClientConnection {
  private state: 'hello' | 'open' | 'closed' = 'hello';
  private readonly inflight = new Set<number>();
  private readonly backlog: FrameItem[] = [];
  private replies: (readonly [number, KvReply | PingReply])[] = [];
  private flushScheduled = false;
  private readTimer: NodeJS.Timeout | undefined;
  private cutTimer: NodeJS.Timeout | undefined;
  private readonly handshakeTimer: NodeJS.Timeout;
  private name = '';
  /** The verified token's claims, when the balancer requires tokens. */
  private claims: ClientTokenClaims | null = null;
  /** Last complete message or pong (performance.now()); the idle clock's start. */
  private lastHeardMs = performance.now();
  private pingOutstanding = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: ClientConnectionDeps,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClosed());
    ws.on('pong', () => this.heard());
    ws.on('error', (error) => deps.logger.debug({ err: error }, 'client socket error'));
    this.handshakeTimer = setTimeout(
      () =>
        this.reject(
          ClientCloseCode.unauthenticated,
          `not authenticated: no hello within ${deps.limits.handshakeTimeoutMs} ms`,
        ),
      deps.limits.handshakeTimeoutMs,
    );
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  get queuedCount(): number {
    return this.backlog.length;
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.ws.close(code, reason);
    // Read again, or the client's answering close frame would wait behind the pause.
    if (this.ws.isPaused) this.ws.resume();
  }

  /**
   * Called by the listener's sweep. Past half the idle timeout without a word it pings (any
   * WebSocket stack, browsers included, answers on its own, so an idle SDK stays connected);
   * past the whole of it, it closes: a dead peer, or one trickling a frame it never ends.
   */
  checkIdle(nowMs: number): void {
    if (this.state !== 'open') return;
    // Paused by us (in-flight or outbound bound): its silence is our doing.
    if (this.ws.isPaused) return this.heard();
    const silentMs = nowMs - this.lastHeardMs;
    const { idleTimeoutMs } = this.deps.limits;
    if (silentMs >= idleTimeoutMs) {
      return this.reject(ClientCloseCode.idle, `idle: no message for ${Math.round(silentMs)} ms`);
    }
    if (silentMs >= idleTimeoutMs / 2 && !this.pingOutstanding) {
      this.pingOutstanding = true;
      this.ws.ping();
    }
  }

  private heard(): void {
    this.lastHeardMs = performance.now();
    this.pingOutstanding = false;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    this.heard();
    if (!isBinary) return this.reject(ClientCloseCode.unsupportedData, 'binary frames only');
    let decoded: unknown;
    try {
      decoded = packr.unpack(asBuffer(data));
    } catch (error) {
      return this.reject(ClientCloseCode.invalidPayload, `not msgpack: ${String(error)}`);
    }
    if (holdsNeverUsedByte(decoded)) {
      return this.reject(ClientCloseCode.invalidPayload, 'not msgpack: byte 0xc1');
    }
    if (this.state === 'hello') return this.onHello(decoded);
    const frame = checkRequestFrame(decoded);
    if (!frame.ok) return this.reject(ClientCloseCode.badFrame, frame.reason);
    for (const item of frame.items) this.backlog.push(item);
    this.pump();
  }

  private onHello(message: unknown): void {
    clearTimeout(this.handshakeTimer);
    const hello = checkHello(message);
    if (!hello.ok) return this.reject(hello.closeCode, hello.reason);
    const key = this.deps.tokenKey;
    if (key !== null) {
      if (hello.hello.token == null) return this.reject(ClientCloseCode.unauthorized, 'no token');
      // The reason names the problem (malformed, signature, expired), never the token.
      const checked = verifyClientToken(key, hello.hello.token, this.now());
      if (!checked.ok) return this.reject(ClientCloseCode.unauthorized, checked.reason);
      this.claims = checked.claims;
    }
    const welcome = this.deps.welcome();
    if (welcome === null) {
      return this.reject(ClientCloseCode.tryAgainLater, 'balancer has not learned the cluster');
    }
    // With tokens, logs name the client by the token's subject: the one name it cannot choose.
    this.name = this.claims === null ? (hello.hello.name ?? '') : this.claims.sub;
    this.state = 'open';
    this.ws.send(packr.pack(welcome));
  }

  /** Starts backlog requests while in-flight and outbound room allow. */
  private pump(): void {
    const { inflightMax, outboundPauseBytes } = this.deps.limits;
    while (this.backlog.length > 0 && this.state === 'open') {
      if (this.inflight.size >= inflightMax || this.ws.bufferedAmount > outboundPauseBytes) {
        return this.pauseReading();
      }
      this.start(this.backlog.shift() as FrameItem);
    }
    if (this.ws.isPaused && this.state === 'open') this.ws.resume();
  }

  private pauseReading(): void {
    if (!this.ws.isPaused) this.ws.pause();
    // Replies free in-flight slots and call pump(); the outbound buffer has no event, so poll.
    if (this.readTimer === undefined && this.ws.bufferedAmount > 0) {
      this.readTimer = setTimeout(() => {
        this.readTimer = undefined;
        this.checkOutbound();
        this.pump();
      }, outboundCheckMs);
    }
  }

  private start(item: FrameItem): void {
    const { id, timeoutMs } = item;
    if (this.inflight.has(id)) {
      return this.answerError(id, 'TROUPE_ERR_INVALID_ARGUMENT', `request id ${id} is in flight`);
    }
    if (isPingRequest(item.request)) {
      // A ping keeps a connection alive, so an expired token must not ride on pings.
      const expired = this.claims !== null && this.claims.exp * 1_000 <= this.now();
      return expired ? this.expire(id) : this.queueReply(id, pingReply);
    }
    const checked = checkRequest(item.request, this.deps.limits);
    if (!checked.ok) {
      this.deps.hooks.rejected(checked.error.code);
      return this.queueReply(id, replyFromError(checked.error));
    }
    const request = checked.request;
    if (this.claims !== null && !this.permits(id, request)) return;
    const startMs = performance.now();
    this.inflight.add(id);
    this.deps.hooks.inflightChanged(1);
    this.deps.route(request, timeoutMs ?? this.deps.limits.requestTimeoutMsDefault).then(
      (reply) => this.finish(id, request.op, startMs, reply),
      (error: unknown) => {
        this.deps.logger.error({ err: error }, 'routing threw');
        const message = `balancer failed: ${String(error)}`;
        this.finish(id, request.op, startMs, { ok: false, code: 'TROUPE_ERR_INTERNAL', message });
      },
    );
  }

  private now(): number {
    return this.deps.nowMs?.() ?? Date.now();
  }

  /**
   * Whether the token lets this request through; if not, answers it with a typed error. An
   * expired token also ends the connection (1008): every later request would fail the same
   * way, and the client must come back with a new token.
   */
  private permits(id: number, request: KvRequest): boolean {
    const claims = this.claims as ClientTokenClaims;
    const denial = tokenDenies(claims, request.op, request.key, this.now());
    if (denial === null) return true;
    if (denial === 'expired') {
      this.expire(id);
      return false;
    }
    const why =
      denial === 'read-only'
        ? `the token is read-only: ${request.op} refused`
        : `key outside the token's prefix ${JSON.stringify(claims.prefix)}`;
    this.answerError(id, 'TROUPE_ERR_FORBIDDEN', why);
    return false;
  }

  /** Answers `id` TOKEN_EXPIRED, sends it with every reply already queued, and closes 1008. */
  private expire(id: number): void {
    this.answerError(id, 'TROUPE_ERR_TOKEN_EXPIRED', 'token expired');
    this.flush();
    this.reject(ClientCloseCode.unauthenticated, 'token expired');
  }

  private finish(id: number, op: string, startMs: number, reply: KvReply): void {
    this.inflight.delete(id);
    this.deps.hooks.inflightChanged(-1);
    this.deps.hooks.requestFinished(
      op,
      reply.ok ? 'ok' : reply.code,
      (performance.now() - startMs) / 1_000,
    );
    if (this.state !== 'open') return;
    this.queueReply(id, reply);
    this.pump();
  }

  private answerError(id: number, code: string, message: string): void {
    this.deps.hooks.rejected(code);
    this.queueReply(id, { ok: false, code, message });
  }

  private queueReply(id: number, reply: KvReply | PingReply): void {
    this.replies.push([id, reply]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.state !== 'open' || this.replies.length === 0) return;
    const replies = this.replies;
    this.replies = [];
    this.ws.send(packr.pack(replies));
    this.checkOutbound();
  }

  private checkOutbound(): void {
    const buffered = this.ws.bufferedAmount;
    if (buffered <= this.deps.limits.slowConsumerBytes) return;
    this.reject(ClientCloseCode.slowConsumer, `${buffered} bytes of replies not read`);
  }

  private reject(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.deps.hooks.rejected(`close ${code}`);
    this.deps.logger.warn({ client: this.name, code, reason }, 'client connection closed');
    this.close(code, closeReason(reason));
    if (code === ClientCloseCode.slowConsumer) {
      this.cutTimer = setTimeout(() => this.ws.terminate(), slowConsumerGraceMs);
    }
    // An idle peer may be mid-way through a frame it never ends: ws would wait 30 s for its
    // answering close frame, so it is cut sooner.
    if (code === ClientCloseCode.idle) {
      this.cutTimer = setTimeout(() => this.ws.terminate(), idleCloseGraceMs);
    }
  }

  private onClosed(): void {
    this.state = 'closed';
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.readTimer);
    clearTimeout(this.cutTimer);
    this.backlog.length = 0;
    this.replies = [];
  }
}

/**
 * msgpackr decodes 0xc1, the one byte msgpack never uses, to a marker instead of failing;
 * a frame that holds it anywhere is not msgpack.
 */
function holdsNeverUsedByte(decoded: unknown): boolean {
  const stack = [decoded];
  // msgpackr's structured-clone extension decodes an array that holds itself: visit once.
  const seen = new Set<object>();
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === C1) return true;
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) continue;
    if (seen.has(value)) continue;
    seen.add(value);
    for (const inner of Array.isArray(value) ? value : Object.values(value)) stack.push(inner);
  }
  return false;
}

/**
 * A close reason ws accepts: at most 123 UTF-8 bytes (it throws on more). Reasons may quote
 * the client's own bytes, so cutting by characters is not enough.
 */
function closeReason(reason: string): string {
  let cut = reason.slice(0, 123);
  while (Buffer.byteLength(cut) > 123) cut = cut.slice(0, -1);
  return cut;
}

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
