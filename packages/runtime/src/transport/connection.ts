// One established (post-handshake) WebSocket to a peer: an outbound stream (coalescing flush),
// an inbound stream (in-order dispatch with back-pressure), and the phi accrual detector fed
// by the peer's heartbeats. Bad input closes this connection only, logged once.
import type { WebSocket } from 'ws';
import { PhiAccrualDetector, type PhiAccrualOptions } from '../detect/phi-accrual.js';
import type { RuntimeLimits } from '../limits.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import { CloseCode } from '../wire/close-codes.js';
import { decodeFrame } from '../wire/codec.js';
import type { Envelope } from '../wire/envelope.js';
import { parseFrame } from '../wire/validate.js';
import { InboundStream } from './inbound-stream.js';
import { OutboundStream } from './outbound-stream.js';
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
  readonly outbound: OutboundStream;
  private readonly inbound: InboundStream;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    readonly peer: PeerInfo,
    /** Node id of the side that dialled; decides which of two duplicates survives. */
    readonly dialledBy: string,
    private readonly options: ConnectionOptions,
  ) {
    const { limits, logger, clock, hooks } = options;
    this.detector = new PhiAccrualDetector(options.phi);
    this.detector.heartbeat(clock.nowMs());
    this.outbound = new OutboundStream(ws, peer.nodeId, limits, logger);
    const sink = (envelope: Envelope, mayDefer: boolean): boolean =>
      hooks.onEnvelope(peer.nodeId, envelope, mayDefer);
    this.inbound = new InboundStream(ws, this.detector, sink, limits, clock, logger);
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.markClosed(code, reason.toString('utf8')));
    ws.on('error', (error) => logger.warn({ err: error.message }, 'peer connection error'));
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get isReceiving(): boolean {
    return this.inbound.isReceiving;
  }

  /**
   * How long the peer has delivered no complete message; 0 while we are the slow side (our
   * reading is paused behind a full mailbox), so our own pause never counts against it.
   */
  silentMs(nowMs: number): number {
    return this.inbound.silentMs(nowMs);
  }

  /** Moves every unsent envelope to `successor` (a duplicate connection that won). */
  handOverTo(successor: Connection): void {
    for (const pending of this.outbound.takeAll()) {
      successor.outbound.enqueue(pending.envelope, pending.onError, true);
    }
  }

  /** Closes with a code and reason; the peer sees both. Idempotent. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, truncateUtf8(reason, this.options.limits.closeReasonBytesMax));
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

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) return this.fail(CloseCode.unsupportedData, 'text frames are not accepted');
    const decoded = decodeFrame(data);
    if (!decoded.ok) return this.fail(CloseCode.invalidPayload, decoded.reason);
    const parsed = parseFrame(decoded.value, this.options.limits);
    if (!parsed.ok) return this.fail(parsed.closeCode, parsed.reason);
    this.inbound.push(parsed.value);
  }

  private markClosed(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.inbound.close();
    this.outbound.close();
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
