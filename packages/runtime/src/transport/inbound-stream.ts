// The receiving half of a connection: validated frames are dispatched in order; when a target
// cannot take an envelope yet (a full mailbox) reading from the socket pauses, so TCP pushes
// back on the sender, and the same envelope is offered again with growing delays, up to
// `inboundBlockedMsMax`, after which it may no longer be deferred.
import type { WebSocket } from 'ws';
import type { PhiAccrualDetector } from '../detect/phi-accrual.js';
import type { RuntimeLimits } from '../limits.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import type { Envelope } from '../wire/envelope.js';

/** Returns false to defer (only allowed when `mayDefer`). */
export type EnvelopeSink = (envelope: Envelope, mayDefer: boolean) => boolean;

const retryDelayMsMax = 10;

export class InboundStream {
  /** Validated frames not yet fully dispatched, oldest first, and the position in the first. */
  private frames: Envelope[][] = [];
  private index = 0;
  private blockedSinceMs: number | undefined;
  private retryDelayMs = 0;
  private closed = false;
  /** When the last frame arrived, or reading resumed after a block. */
  private lastFrameMs: number;

  constructor(
    private readonly ws: WebSocket,
    private readonly detector: PhiAccrualDetector,
    private readonly sink: EnvelopeSink,
    private readonly limits: RuntimeLimits,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.lastFrameMs = clock.nowMs();
  }

  /** False while paused behind a full mailbox: we, not the peer, are the slow side. */
  get isReceiving(): boolean {
    return this.blockedSinceMs === undefined;
  }

  /** See Connection.silentMs. */
  silentMs(nowMs: number): number {
    if (this.blockedSinceMs !== undefined) return 0;
    return nowMs - this.lastFrameMs;
  }

  push(frame: Envelope[]): void {
    this.lastFrameMs = this.clock.nowMs();
    this.frames.push(frame);
    if (this.blockedSinceMs === undefined) this.dispatch();
  }

  close(): void {
    this.closed = true;
    this.frames = [];
  }

  private dispatch(): void {
    while (this.frames.length > 0 && !this.closed) {
      const frame = this.frames[0] as Envelope[];
      while (this.index < frame.length) {
        const envelope = frame[this.index] as Envelope;
        if (envelope.kind === 'heartbeat') {
          this.detector.heartbeat(this.clock.nowMs());
        } else if (!this.offer(envelope)) {
          return this.block();
        }
        this.index++;
        if (this.closed) return;
      }
      this.frames.shift();
      this.index = 0;
    }
  }

  private offer(envelope: Envelope): boolean {
    const nowMs = this.clock.nowMs();
    const blockedMs = this.blockedSinceMs === undefined ? 0 : nowMs - this.blockedSinceMs;
    const mayDefer = blockedMs < this.limits.inboundBlockedMsMax;
    try {
      return this.sink(envelope, mayDefer) || !mayDefer;
    } catch (error) {
      // A bug in a handler must not take the connection (and everyone's traffic) down.
      this.logger.error({ err: error }, 'envelope handler threw');
      return true;
    }
  }

  private block(): void {
    if (this.blockedSinceMs === undefined) {
      this.blockedSinceMs = this.clock.nowMs();
      this.retryDelayMs = 0;
      this.ws.pause();
    }
    const delayMs = this.retryDelayMs;
    this.retryDelayMs = Math.min(retryDelayMsMax, Math.max(1, this.retryDelayMs * 2));
    if (delayMs === 0) setImmediate(this.retry);
    else this.clock.setTimer(delayMs, this.retry);
  }

  private readonly retry = (): void => {
    if (this.closed) return;
    this.dispatch();
    if (this.frames.length > 0) return;
    this.blockedSinceMs = undefined;
    // Heartbeats waited behind the block; do not count the wait against the peer.
    this.detector.heartbeat(this.clock.nowMs());
    this.lastFrameMs = this.clock.nowMs();
    this.ws.resume();
  };
}
