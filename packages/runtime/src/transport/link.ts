// A link keeps one peer URL connected: it dials, and after any failure or disconnect dials
// again with jittered exponential backoff, until the system closes. It stays idle while the
// peer is connected through any connection (the peer may have dialled us instead).
import { PeerUnavailableError, ProtocolError } from '../errors.js';
import type { Logger } from '../log.js';
import { type BackoffPolicy, backoffDelayMs } from '../time/backoff.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { Rng } from '../time/rng.js';
import { TlsError } from './tls.js';
import type { PeerInfo } from './transport.js';

export interface LinkDeps {
  dial(url: string): Promise<PeerInfo>;
  isConnected(nodeId: string): boolean;
  clock: Clock;
  rng: Rng;
  backoff: BackoffPolicy;
  logger: Logger;
}

interface Waiter {
  resolve(nodeId: string): void;
  reject(error: Error): void;
  timer: TimerHandle;
}

export class Link {
  /** Learnt from the first successful handshake. */
  nodeId: string | undefined;
  private attempt = 0;
  private timer: TimerHandle | undefined;
  private dialling = false;
  private stopped = false;
  private lastError: Error | undefined;
  private lastLoggedReason: string | undefined;
  private waiters: Waiter[] = [];

  constructor(
    readonly url: string,
    private readonly deps: LinkDeps,
  ) {}

  /** Dials now unless a dial is already running or scheduled. */
  start(): void {
    this.schedule(0);
  }

  /** The peer went down: dial again soon (immediately on the first try). */
  peerDown(): void {
    this.schedule(
      this.attempt === 0 ? 0 : backoffDelayMs(this.deps.backoff, this.attempt, this.deps.rng),
    );
  }

  /**
   * Someone has news that the peer is back (another peer names it leader): dial now instead
   * of waiting out the backoff. Failures go on backing off as before, so a caller that hurries
   * a dead peer costs one dial per call, never a storm.
   */
  hurry(): void {
    if (this.stopped || this.dialling) return;
    if (this.nodeId !== undefined && this.deps.isConnected(this.nodeId)) return;
    this.timer?.cancel();
    this.timer = undefined;
    this.schedule(0);
  }

  /** Resolves with the peer's node id once connected; rejects after `timeoutMs`. */
  whenConnected(timeoutMs: number): Promise<string> {
    if (this.nodeId !== undefined && this.deps.isConnected(this.nodeId)) {
      return Promise.resolve(this.nodeId);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: this.deps.clock.setTimer(timeoutMs, () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          const detail = this.lastError ? `: ${this.lastError.message}` : '';
          reject(
            this.lastError ?? new PeerUnavailableError(`no connection to ${this.url}${detail}`),
          );
        }),
      };
      this.waiters.push(waiter);
    });
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.rejectWaiters(new PeerUnavailableError(`link to ${this.url} closed`));
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.dialling || this.timer) return;
    // A link that is trying to (re)connect keeps the process alive, as an open socket would.
    const keepAlive = { keepAlive: true };
    this.timer = this.deps.clock.setTimer(
      delayMs,
      () => {
        this.timer = undefined;
        void this.dial();
      },
      keepAlive,
    );
  }

  private async dial(): Promise<void> {
    if (this.stopped || this.dialling) return;
    if (this.nodeId !== undefined && this.deps.isConnected(this.nodeId)) return this.connected();
    this.dialling = true;
    try {
      const peer = await this.deps.dial(this.url);
      this.nodeId = peer.nodeId;
      this.attempt = 0;
      this.lastError = undefined;
      this.lastLoggedReason = undefined;
      this.dialling = false;
      this.connected();
    } catch (error) {
      this.dialling = false;
      this.failed(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private connected(): void {
    if (this.nodeId === undefined) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      waiter.timer.cancel();
      waiter.resolve(this.nodeId);
    }
  }

  private failed(error: Error): void {
    this.lastError = error;
    // Log when the reason changes, not on every retry: a dead peer must not flood the log.
    if (error.message !== this.lastLoggedReason) {
      this.lastLoggedReason = error.message;
      // A certificate problem needs a person; a peer that is down just needs time.
      const level = error instanceof TlsError ? 'warn' : 'info';
      this.deps.logger[level]({ url: this.url, err: error.message }, 'dial failed; will retry');
    }
    // The peer refused us outright (token, protocol version, certificate): waiting will not help
    // the caller, so say so now; the link still retries in case the peer is reconfigured.
    if (error instanceof ProtocolError || error instanceof TlsError) this.rejectWaiters(error);
    const delayMs = backoffDelayMs(this.deps.backoff, this.attempt, this.deps.rng);
    this.attempt++;
    this.schedule(delayMs);
  }

  private rejectWaiters(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      waiter.timer.cancel();
      waiter.reject(error);
    }
  }
}
