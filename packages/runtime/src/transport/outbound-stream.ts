// The sending half of a connection: a bounded queue, and a flush scheduled once per event-loop
// turn that turns everything queued into frames. Stops moving frames into the socket while it
// is backed up, so memory stays bounded and a full queue surfaces as OverloadedError.
import type { WebSocket } from 'ws';
import { codeOf, messageOf, OverloadedError } from '../errors.js';
import type { RuntimeLimits } from '../limits.js';
import type { Logger } from '../log.js';
import type { Envelope } from '../wire/envelope.js';
import { encodeFrames } from '../wire/frame-encoder.js';
import { OutboundQueue, type PendingEnvelope } from './outbound-queue.js';

/** Initial guess of one envelope's encoded size, refined from every frame sent. */
const envelopeBytesGuess = 128;

export class OutboundStream {
  private readonly queue = new OutboundQueue();
  private flushScheduled = false;
  private waitingForSocket = false;
  /** Frames handed to ws whose write has not completed yet. */
  private sendsInFlight = 0;
  private averageEnvelopeBytes = envelopeBytesGuess;
  private writableWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly peerNodeId: string,
    private readonly limits: RuntimeLimits,
    private readonly logger: Logger,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Bytes of frames the socket has not written yet (ws's bufferedAmount). */
  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** Queues an envelope; `force` skips the bound (heartbeats and handed-over envelopes). */
  enqueue(envelope: Envelope, onError?: (error: Error) => void, force = false): void {
    if (!force && this.queue.length >= this.limits.peerQueueMessagesMax) {
      throw new OverloadedError(
        `outbound queue to ${this.peerNodeId} is full (${this.queue.length} messages)`,
      );
    }
    this.queue.push({ envelope, onError });
    this.scheduleFlush();
  }

  /** Everything not yet sent, for a duplicate connection that takes over. */
  takeAll(): PendingEnvelope[] {
    return this.queue.drain();
  }

  whenWritable(): Promise<void> {
    if (this.closed || (this.queue.length === 0 && !this.waitingForSocket)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /** The socket is gone: release waiters; queued envelopes are lost (at-most-once). */
  close(): void {
    this.closed = true;
    this.queue.drain();
    this.releaseWaiters();
  }

  private readonly flushNow = (): void => this.flush();

  private scheduleFlush(): void {
    if (this.flushScheduled || this.waitingForSocket || this.closed) return;
    this.flushScheduled = true;
    setImmediate(this.flushNow);
  }

  private flush(): void {
    this.flushScheduled = false;
    while (this.queue.length > 0 && !this.closed) {
      if (this.ws.bufferedAmount > this.limits.socketBufferedBytesHigh) {
        this.waitingForSocket = true;
        return;
      }
      this.sendBatch();
    }
    this.releaseWaiters();
  }

  private sendBatch(): void {
    const { frameBytesTarget, envelopesPerFrameMax } = this.limits;
    const count = Math.max(
      1,
      Math.min(envelopesPerFrameMax, frameBytesTarget / this.averageEnvelopeBytes),
    );
    const batch = this.queue.take(Math.floor(count));
    const frames = encodeFrames(batch, this.limits, (pending, error) =>
      this.dropped(pending, error),
    );
    let bytes = 0;
    for (const frame of frames) {
      bytes += frame.length;
      this.sendsInFlight++;
      this.ws.send(frame, { binary: true }, this.onSent);
    }
    if (bytes > 0)
      this.averageEnvelopeBytes = 0.8 * this.averageEnvelopeBytes + (0.2 * bytes) / batch.length;
  }

  private dropped(pending: PendingEnvelope, error: Error): void {
    if (pending.onError) return pending.onError(error);
    this.logger.warn(
      {
        kind: pending.envelope.kind,
        code: codeOf(error),
        reason: messageOf(error),
      },
      'dropped an outbound message that cannot be sent',
    );
  }

  private readonly onSent = (): void => {
    this.sendsInFlight--;
    if (!this.waitingForSocket) return;
    // Resume below the low-water mark, or when no write is left whose callback could wake us.
    const lowBytes = this.limits.socketBufferedBytesHigh / 2;
    if (this.ws.bufferedAmount > lowBytes && this.sendsInFlight > 0) return;
    this.waitingForSocket = false;
    this.scheduleFlush();
  };

  private releaseWaiters(): void {
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
