// One connection to one balancer: open the socket, send the hello, wait for the welcome, then
// carry frames of [id, request, timeoutMs] out and [id, reply] back. Requests handed over in
// one event-loop turn leave as one frame (up to requestsPerFrameMax). The link knows nothing
// of retries: whoever owns it hears every reply and, once, the close. It does watch the
// balancer's liveness: while requests are outstanding and nothing has arrived for
// `keepalive.idleMs`, it sends a ping (id 0, answered by the balancer itself); a ping left
// unanswered for `keepalive.timeoutMs` closes the link, so a hung balancer (a stopped process,
// a dead network path that TCP has not noticed) costs seconds, not every request's deadline.

import { Packr } from 'msgpackr';
import type { BalancerWelcome, KvReply, KvRequest } from './protocol/index.js';
import { ClientCloseCode, clientProtocolVersion } from './protocol/index.js';
import { messageBytes, type SocketLike, socketOpen, type WebSocketConstructor } from './socket.js';

const framePackr = new Packr({ useRecords: false });

export interface LinkHandlers {
  reply(id: number, reply: KvReply): void;
  /** The link is gone (either side closed it, or it never opened); called once. */
  closed(code: number, reason: string): void;
}

export interface HelloOptions {
  readonly token: string | null;
  readonly name: string;
}

export interface KeepaliveOptions {
  /** Silence (with requests outstanding) after which the link sends a ping. */
  readonly idleMs: number;
  /** An unanswered ping older than this closes the link. */
  readonly timeoutMs: number;
}

/** Request id reserved for pings; the pipeline never uses it. */
const pingId = 0;
const pingRequest = { op: 'ping' } as const;

type Outgoing = readonly [number, KvRequest, number];

export class BalancerLink {
  private outgoing: Outgoing[] = [];
  private flushScheduled = false;
  private isClosed = false;
  private handlers: LinkHandlers | null = null;
  /** Requests sent and not yet answered (pings excluded). */
  private outstanding = 0;
  private lastHeardMs = Date.now();
  private pingSentMs: number | null = null;
  private keepaliveTimer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    readonly url: string,
    private readonly socket: SocketLike,
    readonly welcome: BalancerWelcome,
  ) {}

  /** Opens and handshakes; rejects with the close code and reason when refused. */
  static open(
    url: string,
    WebSocketClass: WebSocketConstructor,
    hello: HelloOptions,
    timeoutMs: number,
  ): Promise<BalancerLink> {
    return new Promise((resolve, reject) => {
      let socket: SocketLike;
      try {
        socket = new WebSocketClass(url);
      } catch (error) {
        return reject(new LinkRefusedError(0, `cannot open ${url}: ${String(error)}`));
      }
      socket.binaryType = 'arraybuffer';
      const timer = setTimeout(() => {
        socket.onclose = null;
        socket.close(ClientCloseCode.normal, 'handshake timed out');
        reject(new LinkRefusedError(0, `${url}: no welcome within ${timeoutMs} ms`));
      }, timeoutMs);
      // Calls waiting on this link keep the process alive with their own deadlines; a client
      // closed during the handshake must not be held up by it.
      (timer as { unref?: () => void }).unref?.();
      socket.onopen = () => {
        const message = {
          type: 'hello',
          proto: clientProtocolVersion,
          token: hello.token,
          name: hello.name,
        };
        socket.send(framePackr.pack(message));
      };
      socket.onmessage = (event) => {
        clearTimeout(timer);
        const welcome = decode(event.data);
        if (!isWelcome(welcome)) {
          socket.close(ClientCloseCode.badFrame, 'expected a welcome');
          return reject(new LinkRefusedError(ClientCloseCode.badFrame, `${url}: no welcome`));
        }
        resolve(new BalancerLink(url, socket, welcome));
      };
      // The close event follows with the code; the error's message (Node.js only) is the one
      // place that says why a wss:// connection failed, an untrusted certificate say.
      let failure = '';
      socket.onerror = (event) => {
        failure = typeof event.message === 'string' ? event.message : '';
      };
      socket.onclose = (event) => {
        clearTimeout(timer);
        const why = event.reason || failure || 'closed';
        reject(new LinkRefusedError(event.code ?? 1006, `${url}: ${why}`));
      };
    });
  }

  /** Starts delivering replies and the close to `handlers`. */
  attach(handlers: LinkHandlers, keepalive: KeepaliveOptions): void {
    this.handlers = handlers;
    this.socket.onmessage = (event) => this.onMessage(event.data);
    this.socket.onclose = (event) => this.onClose(event.code ?? 1006, event.reason ?? '');
    if (this.socket.readyState !== socketOpen) return this.onClose(1006, 'closed before use');
    const checkMs = Math.max(10, Math.min(keepalive.idleMs, keepalive.timeoutMs) / 2);
    this.keepaliveTimer = setInterval(() => this.checkAlive(keepalive), checkMs);
    // A keepalive timer must not keep a Node.js process alive on its own.
    (this.keepaliveTimer as { unref?: () => void }).unref?.();
  }

  private checkAlive(keepalive: KeepaliveOptions): void {
    const nowMs = Date.now();
    if (this.pingSentMs !== null) {
      if (nowMs - this.pingSentMs < keepalive.timeoutMs) return;
      return this.close(ClientCloseCode.goingAway, 'balancer did not answer a ping');
    }
    if (this.outstanding === 0 || nowMs - this.lastHeardMs < keepalive.idleMs) return;
    this.pingSentMs = nowMs;
    this.socket.send(framePackr.pack([[pingId, pingRequest]]));
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Queues a request for this turn's frame. */
  send(id: number, request: KvRequest, timeoutMs: number): void {
    if (this.isClosed) return;
    this.outstanding++;
    this.outgoing.push([id, request, Math.max(1, Math.min(120_000, Math.ceil(timeoutMs)))]);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  close(code: number = ClientCloseCode.normal, reason = 'client closed'): void {
    if (this.isClosed) return;
    this.socket.close(code, reason);
    this.onClose(code, reason);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.isClosed) return;
    const perFrame = this.welcome.requestsPerFrameMax;
    while (this.outgoing.length > 0) {
      const frame = this.outgoing.splice(0, perFrame);
      this.socket.send(framePackr.pack(frame));
    }
  }

  private onMessage(data: unknown): void {
    this.lastHeardMs = Date.now();
    const replies = decode(data);
    if (!Array.isArray(replies)) return this.close(ClientCloseCode.badFrame, 'bad reply frame');
    for (const item of replies) {
      if (!isReplyItem(item)) return this.close(ClientCloseCode.badFrame, 'bad reply');
      if (item[0] === pingId) {
        this.pingSentMs = null;
        continue;
      }
      this.outstanding = Math.max(0, this.outstanding - 1);
      this.handlers?.reply(item[0], item[1]);
    }
  }

  private onClose(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.keepaliveTimer);
    this.outgoing = [];
    this.socket.onmessage = null;
    this.socket.onclose = null;
    this.handlers?.closed(code, reason);
  }
}

/** Opening a link failed: `closeCode` is the balancer's close code (0 when it never spoke). */
export class LinkRefusedError extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A welcome whose limits the link can work with: with inflightMax 0 nothing would be sent, and
 * with requestsPerFrameMax 0 (or missing) flush() would never empty its queue.
 */
function isWelcome(message: unknown): message is BalancerWelcome {
  const welcome = message as Partial<BalancerWelcome> | null;
  const isCount = (value: unknown) => Number.isInteger(value) && (value as number) >= 1;
  return (
    welcome?.type === 'welcome' &&
    isCount(welcome.inflightMax) &&
    isCount(welcome.requestsPerFrameMax)
  );
}

/** `[id, reply]` with a reply that is a success or an error with a code; never null. */
function isReplyItem(item: unknown): item is [number, KvReply] {
  if (!Array.isArray(item) || typeof item[0] !== 'number') return false;
  const reply = item[1] as { readonly ok?: unknown; readonly code?: unknown } | null;
  if (typeof reply !== 'object' || reply === null) return false;
  return reply.ok === true || (reply.ok === false && typeof reply.code === 'string');
}

function decode(data: unknown): unknown {
  const bytes = messageBytes(data);
  if (bytes === null) return null;
  try {
    return framePackr.unpack(bytes);
  } catch {
    return null;
  }
}
