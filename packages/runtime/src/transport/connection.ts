// One established (post-handshake) WebSocket to a peer. It owns the outbound queue and the
// per-tick flush that coalesces everything sent in one event-loop turn into one frame, decodes
// and validates inbound frames, and feeds heartbeats to the peer's phi accrual detector.
import type { WebSocket } from 'ws';
import { assert } from '../assert.js';
import { PhiAccrualDetector, type PhiAccrualOptions } from '../detect/phi-accrual.js';
import { OverloadedError } from '../errors.js';
import type { RuntimeLimits } from '../limits.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import { CloseCode } from '../wire/close-codes.js';
import { decodeFrame, type EncodedView } from '../wire/codec.js';
import type { Envelope } from '../wire/envelope.js';
import { parseFrame } from '../wire/validate.js';
import { OutboundQueue } from './outbound-queue.js';
import type { PeerInfo } from './transport.js';

export interface ConnectionHooks {
  /** Returns false to defer the envelope (only when `mayDefer`); see TransportHandler. */
  onEnvelope(fromNodeId: string, envelope: Envelope, mayDefer: boolean): boolean;
  /** Called once, when the connection is closed by either side. */
  onClosed(connection: Connection, code: number, reason: string): void;
}

export interface ConnectionOptions {
  limits: RuntimeLimits;
  logger: Logger;
  clock: Clock;
  phi: Partial<PhiAccrualOptions>;
  hooks: ConnectionHooks;
}

/** How long a closing socket may take to finish its close handshake before it is cut. */
const closeGraceMs = 1_000;

export class Connection {
  readonly detector: PhiAccrualDetector;
  private readonly queue: OutboundQueue;
  /** Whole frames handed over from a duplicate connection; sent before the queue. */
  private handedOver: Buffer[] = [];
  private flushScheduled = false;
  private waitingForSocket = false;
  private writableWaiters: Array<() => void> = [];
  private closed = false;
  /** Validated frames not yet fully dispatched, oldest first, and the position in the first. */
  private inboundFrames: Envelope[][] = [];
  private inboundIndex = 0;
  private blockedSinceMs: number | undefined;
  private retryDelayMs = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly peer: PeerInfo,
    /** Node id of the side that dialled; decides which of two duplicates survives. */
    readonly dialledBy: string,
    private readonly options: ConnectionOptions,
  ) {
    this.queue = new OutboundQueue(
      options.limits.frameBytesTarget,
      options.limits.envelopesPerFrameMax,
    );
    this.detector = new PhiAccrualDetector(options.phi);
    this.detector.heartbeat(options.clock.nowMs());
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.markClosed(code, reason.toString('utf8')));
    ws.on('error', (error) => {
      this.options.logger.warn({ err: error.message }, 'peer connection error');
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get queuedMessages(): number {
    return this.queue.length;
  }

  /** Queues one encoded envelope; `force` skips the bound (heartbeats). */
  enqueue(encoded: EncodedView, force = false): void {
    assert(!this.closed, 'enqueue on a closed connection');
    const { peerQueueMessagesMax, peerQueueBytesMax } = this.options.limits;
    const size = encoded.end - encoded.start;
    const full =
      this.queue.length >= peerQueueMessagesMax || this.queue.sizeBytes + size > peerQueueBytesMax;
    if (full && !force) {
      throw new OverloadedError(
        `outbound queue to ${this.peer.nodeId} is full (${this.queue.length} messages, ` +
          `${this.queue.sizeBytes} bytes)`,
      );
    }
    this.queue.push(encoded.buffer, encoded.start, encoded.end);
    this.scheduleFlush();
  }

  /** Moves every unsent envelope to `successor` (a duplicate connection that won). */
  handOverTo(successor: Connection): void {
    successor.handedOver.push(...this.handedOver, ...this.queue.drainFrames());
    this.handedOver = [];
    successor.scheduleFlush();
  }

  whenWritable(): Promise<void> {
    const idle = this.queue.length === 0 && this.handedOver.length === 0;
    if (this.closed || (idle && !this.waitingForSocket)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /** Closes with a code and reason; the peer sees both. Idempotent. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    const reasonBytesMax = this.options.limits.closeReasonBytesMax;
    this.ws.close(code, truncateUtf8(reason, reasonBytesMax));
    const cut = this.options.clock.setTimer(closeGraceMs, () => this.ws.terminate());
    this.ws.once('close', () => cut.cancel());
    this.markClosed(code, reason);
  }

  /** Closes because the peer broke the protocol: logged once, here, with the reason. */
  fail(code: number, reason: string): void {
    if (this.closed) return;
    this.options.logger.warn({ closeCode: code, reason }, 'closing peer connection: bad input');
    this.close(code, reason);
  }

  /** False while inbound traffic is paused behind a full mailbox (we are the slow side). */
  get isReceiving(): boolean {
    return this.blockedSinceMs === undefined;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) return this.fail(CloseCode.unsupportedData, 'text frames are not accepted');
    const decoded = decodeFrame(data);
    if (!decoded.ok) return this.fail(CloseCode.invalidPayload, decoded.reason);
    const parsed = parseFrame(decoded.value, this.options.limits);
    if (!parsed.ok) return this.fail(parsed.closeCode, parsed.reason);
    this.inboundFrames.push(parsed.value);
    if (this.blockedSinceMs === undefined) this.dispatchInbound();
  }

  /** Dispatches queued envelopes in order until done, or until a target defers one. */
  private dispatchInbound(): void {
    const nodeId = this.peer.nodeId;
    while (this.inboundFrames.length > 0 && !this.closed) {
      const frame = this.inboundFrames[0] as Envelope[];
      while (this.inboundIndex < frame.length) {
        const envelope = frame[this.inboundIndex] as Envelope;
        if (envelope.kind === 'heartbeat') {
          this.detector.heartbeat(this.options.clock.nowMs());
        } else if (!this.dispatch(nodeId, envelope)) {
          return this.block();
        }
        this.inboundIndex++;
        if (this.closed) return;
      }
      this.inboundFrames.shift();
      this.inboundIndex = 0;
    }
  }

  private dispatch(nodeId: string, envelope: Envelope): boolean {
    const nowMs = this.options.clock.nowMs();
    const blockedMs = this.blockedSinceMs === undefined ? 0 : nowMs - this.blockedSinceMs;
    const mayDefer = blockedMs < this.options.limits.inboundBlockedMsMax;
    try {
      return this.options.hooks.onEnvelope(nodeId, envelope, mayDefer) || !mayDefer;
    } catch (error) {
      // A bug in a handler must not take the connection (and everyone's traffic) down.
      this.options.logger.error({ err: error }, 'envelope handler threw');
      return true;
    }
  }

  /** Stops reading from the peer and retries the deferred envelope with growing delays. */
  private block(): void {
    if (this.blockedSinceMs === undefined) {
      this.blockedSinceMs = this.options.clock.nowMs();
      this.retryDelayMs = 0;
      this.ws.pause();
    }
    const retry = (): void => {
      if (this.closed) return;
      this.dispatchInbound();
      if (this.inboundFrames.length > 0) return;
      this.blockedSinceMs = undefined;
      // Heartbeats waited behind the block; do not count the wait against the peer.
      this.detector.heartbeat(this.options.clock.nowMs());
      this.ws.resume();
    };
    const delayMs = this.retryDelayMs;
    this.retryDelayMs = Math.min(10, Math.max(1, this.retryDelayMs * 2));
    if (delayMs === 0) setImmediate(retry);
    else this.options.clock.setTimer(delayMs, retry);
  }

  private readonly flushNow = (): void => this.flush();

  private scheduleFlush(): void {
    if (this.flushScheduled || this.waitingForSocket) return;
    this.flushScheduled = true;
    setImmediate(this.flushNow);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    const highBytes = this.options.limits.socketBufferedBytesHigh;
    while (this.handedOver.length > 0 || this.queue.length > 0) {
      if (this.ws.bufferedAmount > highBytes) {
        this.waitingForSocket = true;
        return;
      }
      const frame = this.handedOver.shift() ?? this.queue.takeFrame();
      this.ws.send(frame, { binary: true }, this.onSent);
    }
    this.releaseWaiters();
  }

  private readonly onSent = (): void => {
    if (!this.waitingForSocket) return;
    if (this.ws.bufferedAmount > this.options.limits.socketBufferedBytesHigh / 2) return;
    this.waitingForSocket = false;
    this.scheduleFlush();
  };

  private releaseWaiters(): void {
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private markClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.releaseWaiters();
    this.options.hooks.onClosed(this, code, reason);
  }
}

/** Cuts a string to at most `bytesMax` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, bytesMax: number): string {
  if (Buffer.byteLength(text, 'utf8') <= bytesMax) return text;
  let cut = text.slice(0, bytesMax);
  while (Buffer.byteLength(cut, 'utf8') > bytesMax) cut = cut.slice(0, -1);
  return cut;
}
