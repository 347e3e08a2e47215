// Guards a listener's HTTP server before any WebSocket exists, so a hostile address costs a
// socket and a timer, never a parser or a connection object: at most `connectionsPerAddressMax`
// open sockets per remote address (the next is answered 503 with a reason and closed), at
// most `connectionRatePerAddressPerS` of them read per second (the rest wait unread, so an
// attacker that reconnects as fast as it is closed is slowed to that rate), and a socket must
// finish its HTTP request (the upgrade) within `upgradeTimeoutMs` of being read, or it is cut
// (slowloris). Refusals are logged once per burst, not once per socket.
// Used by the node transport's listener and the balancer's client listener alike.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';

export interface ListenerGuardOptions {
  readonly connectionsPerAddressMax: number;
  /**
   * New sockets one address may have read per second (a token bucket, burst of one second's
   * worth); later ones wait unread, in order, still counted against the per-address limit.
   * Absent: no rate bound. Plain-text listeners only (a TLS socket cannot be held unread).
   */
  readonly connectionRatePerAddressPerS?: number;
  /** From TCP accept to a complete HTTP request head (the WebSocket upgrade). */
  readonly upgradeTimeoutMs: number;
  readonly logger: Logger;
  /** Told about every refusal, e.g. to count it in metrics. */
  readonly onRefused?: (why: GuardRefusal) => void;
}

export type GuardRefusal = 'connections-per-address' | 'upgrade-timeout';

/** A burst of refusals is logged at its start and then at most once per this. */
const refusalLogEveryMs = 5_000;
/** A refused socket that does not close after our 503 is destroyed after this. */
const refusedGraceMs = 1_000;

/** Open sockets per remote address; a pure counter so it can be tested on its own. */
export class AddressLimiter {
  private readonly open = new Map<string, number>();

  constructor(readonly perAddressMax: number) {}

  /** Counts one more socket from `address`; false (and nothing counted) when at the limit. */
  tryAcquire(address: string): boolean {
    const count = this.open.get(address) ?? 0;
    if (count >= this.perAddressMax) return false;
    this.open.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    const count = this.open.get(address) ?? 0;
    if (count <= 1) this.open.delete(address);
    else this.open.set(address, count - 1);
  }

  count(address: string): number {
    return this.open.get(address) ?? 0;
  }

  /** Addresses with at least one open socket (bounded by the sockets themselves). */
  get addresses(): number {
    return this.open.size;
  }
}

/** What a guard has refused or held so far, for metrics and tests. */
export interface ListenerGuardStats {
  refusedPerAddress: number;
  upgradeTimeouts: number;
  /** Sockets that waited, unread, for their address's rate to allow them. */
  heldForRate: number;
}

interface Bucket {
  tokens: number;
  refilledMs: number;
  readonly waiting: Socket[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Admits new sockets at most `ratePerS` per second per address (token bucket, burst of one
 * second). The expensive part of a connection (HTTP parsing, the upgrade, the handshake)
 * then runs at most that often per address, however fast an attacker reconnects, while a
 * waiting socket costs only its descriptor.
 */
export class AddressRate {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly ratePerS: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Calls `admit` now if the address has a token, else once one has accrued (in order). */
  offer(address: string, socket: Socket, admit: () => void, onHeld: () => void): void {
    const bucket = this.refill(address);
    if (bucket.waiting.length === 0 && bucket.tokens >= 1) {
      bucket.tokens--;
      return admit();
    }
    onHeld();
    bucket.waiting.push(socket);
    admitLater.set(socket, admit);
    this.schedule(address, bucket);
  }

  /** Forgets an address once it is back to a full bucket and nothing waits. */
  settle(address: string): void {
    const bucket = this.refill(address);
    if (bucket.waiting.length === 0 && bucket.tokens >= this.ratePerS) {
      this.buckets.delete(address);
    }
  }

  get addresses(): number {
    return this.buckets.size;
  }

  private refill(address: string): Bucket {
    const nowMs = this.nowMs();
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      bucket = { tokens: this.ratePerS, refilledMs: nowMs, waiting: [], timer: undefined };
      this.buckets.set(address, bucket);
    }
    const accrued = ((nowMs - bucket.refilledMs) / 1_000) * this.ratePerS;
    bucket.tokens = Math.min(this.ratePerS, bucket.tokens + accrued);
    bucket.refilledMs = nowMs;
    return bucket;
  }

  private schedule(address: string, bucket: Bucket): void {
    if (bucket.timer !== undefined) return;
    const waitMs = Math.max(1, ((1 - bucket.tokens) / this.ratePerS) * 1_000);
    bucket.timer = setTimeout(() => {
      bucket.timer = undefined;
      this.drain(address);
    }, waitMs);
    bucket.timer.unref();
  }

  private drain(address: string): void {
    const bucket = this.refill(address);
    while (bucket.waiting.length > 0 && bucket.tokens >= 1) {
      const socket = bucket.waiting.shift() as Socket;
      const admit = admitLater.get(socket);
      admitLater.delete(socket);
      // One that gave up while waiting costs no token.
      if (socket.destroyed || admit === undefined) continue;
      bucket.tokens--;
      admit();
    }
    if (bucket.waiting.length > 0) this.schedule(address, bucket);
  }
}

const admitLater = new WeakMap<Socket, () => void>();

/** Logs a burst of refusals once at its start, then a count at most every 5 s. */
class BurstLog {
  private lastLogMs = Number.NEGATIVE_INFINITY;
  private skipped = 0;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
  ) {}

  note(fields: Record<string, unknown>): void {
    const nowMs = performance.now();
    if (nowMs - this.lastLogMs < refusalLogEveryMs) {
      this.skipped++;
      return;
    }
    this.logger.warn({ ...fields, alsoSinceLastLog: this.skipped }, this.message);
    this.lastLogMs = nowMs;
    this.skipped = 0;
  }
}

const refusalBody = 'too many connections from this address';
const refusalResponse = [
  'HTTP/1.1 503 Service Unavailable',
  'Connection: close',
  'Content-Type: text/plain',
  'Retry-After: 1',
  `X-Troupe-Reason: ${refusalBody}`,
  `Content-Length: ${refusalBody.length}`,
  '',
  refusalBody,
].join('\r\n');

/** Installs the guard on `server` (before it listens); returns its live refusal counts. */
export function guardListener(
  server: HttpServer | HttpsServer,
  options: ListenerGuardOptions,
): ListenerGuardStats {
  const limiter = new AddressLimiter(options.connectionsPerAddressMax);
  const stats: ListenerGuardStats = { refusedPerAddress: 0, upgradeTimeouts: 0, heldForRate: 0 };
  const refusedLog = new BurstLog(options.logger, 'connections refused: per-address limit');
  const slowLog = new BurstLog(options.logger, 'connections cut: no complete upgrade in time');
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  // Node checks headersTimeout only every 30 s; the per-socket timer below is the real bound.
  server.headersTimeout = options.upgradeTimeoutMs;
  // A TLS server's raw socket cannot carry a plain-text 503; such refusals only close.
  const plainText = !('setSecureContext' in server);
  const rate = rateOf(server, plainText, options);
  const heldLog = new BurstLog(options.logger, 'connections held: per-address rate');
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (!limiter.tryAcquire(address)) {
      stats.refusedPerAddress++;
      options.onRefused?.('connections-per-address');
      refusedLog.note({ address, limit: limiter.perAddressMax });
      return refuse(socket, plainText);
    }
    socket.once('close', () => {
      limiter.release(address);
      rate?.settle(address);
    });
    if (rate === undefined) return plainText ? startClock(socket) : undefined;
    const admit = (): void => {
      // The clock starts when we start reading: time spent held is not the client's.
      socket.resume();
      startClock(socket);
    };
    rate.offer(address, socket, admit, () => {
      stats.heldForRate++;
      heldLog.note({ address, ratePerS: rate.ratePerS });
    });
  });
  // Under TLS the request arrives on the TLS socket, so its clock starts there (the TLS
  // handshake itself is bounded by the server's own handshakeTimeout).
  if (!plainText) server.on('secureConnection', startClock);
  function startClock(socket: Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const timer = setTimeout(() => {
      if (socket.destroyed) return;
      stats.upgradeTimeouts++;
      options.onRefused?.('upgrade-timeout');
      slowLog.note({ address, timeoutMs: options.upgradeTimeoutMs });
      socket.destroy();
    }, options.upgradeTimeoutMs);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  }
  const arrived = (req: IncomingMessage): void => {
    const timer = timers.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    timers.delete(req.socket);
  };
  server.on('upgrade', arrived);
  server.on('request', arrived);
  return stats;
}

/** The rate bound, when asked for and possible: sockets then start unread (pauseOnConnect). */
function rateOf(
  server: HttpServer | HttpsServer,
  plainText: boolean,
  options: ListenerGuardOptions,
): AddressRate | undefined {
  const ratePerS = options.connectionRatePerAddressPerS;
  if (ratePerS === undefined || !plainText) return undefined;
  // net.Server reads this field at every accept; it is only typed as a constructor option,
  // and the server was built elsewhere. The HTTP parser then waits for our resume().
  (server as unknown as { pauseOnConnect: boolean }).pauseOnConnect = true;
  return new AddressRate(ratePerS);
}

function refuse(socket: Socket, plainText: boolean): void {
  socket.on('error', () => {});
  if (!plainText) return void socket.destroy();
  socket.end(refusalResponse);
  setTimeout(() => socket.destroy(), refusedGraceMs).unref();
}
