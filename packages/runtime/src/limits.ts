// Every bound of the runtime, named once. Systems may lower or raise them through options;
// the module-load assertions state how they must relate so no configuration can contradict.
import { assert } from './assert.js';

export interface RuntimeLimits {
  /** Largest WebSocket frame accepted (ws `maxPayload`); larger frames close with 1009. */
  frameBytesMax: number;
  /** Largest single encoded envelope (one message); larger sends throw PayloadTooLargeError. */
  envelopeBytesMax: number;
  /** A flush cuts frames at about this size so one peer cannot monopolise the socket. */
  frameBytesTarget: number;
  /** Messages one frame may carry. */
  envelopesPerFrameMax: number;
  /** Default mailbox depth of an actor; a full mailbox rejects with OverloadedError. */
  mailboxDepthMax: number;
  /**
   * Messages waiting to be flushed to one peer. They are held as values until the flush
   * encodes them; encoded bytes in flight are bounded by `socketBufferedBytesHigh`.
   */
  peerQueueMessagesMax: number;
  /** Stop moving frames into the socket while it holds more than this many unsent bytes. */
  socketBufferedBytesHigh: number;
  /** Asks awaiting a reply, per system. */
  pendingAsksMax: number;
  /** Messages an actor handles before it yields the event loop to I/O and other actors. */
  messagesPerTurnMax: number;
  /** UTF-8 bytes of an actor path. */
  actorPathBytesMax: number;
  /** UTF-8 bytes of a node id. */
  nodeIdBytesMax: number;
  /** Bytes of a reason string sent in a close frame (WebSocket allows 123). */
  closeReasonBytesMax: number;
  /** Distinct peer URLs this system dials and keeps connected. */
  linksMax: number;
  /** Inbound sockets still in their handshake; more are refused with 1013 (try again). */
  pendingHandshakesMax: number;
  /**
   * How long a peer's inbound stream may stay paused behind a full mailbox; after that the
   * blocked tell is dropped (and logged) so one stuck actor cannot stall a whole connection.
   */
  inboundBlockedMsMax: number;
  /**
   * Open sockets one remote address may hold on the listener (TCP accept, before any
   * upgrade); the next gets HTTP 503 and is closed. Loopback peers all share one address.
   */
  connectionsPerAddressMax: number;
  /**
   * New sockets per second one remote address gets read (burst: one second's worth); faster
   * ones wait unread, so reconnecting as fast as one is closed buys no more than this.
   */
  connectionRatePerAddressPerS: number;
  /**
   * A connection that delivers no complete message (heartbeats count) for this long after its
   * handshake is closed with 4010; it also bounds how long a partly sent frame may linger.
   */
  idleTimeoutMs: number;
}

export const defaultLimits: Readonly<RuntimeLimits> = Object.freeze({
  frameBytesMax: 16 * 1024 * 1024,
  envelopeBytesMax: 4 * 1024 * 1024,
  frameBytesTarget: 256 * 1024,
  envelopesPerFrameMax: 65_535,
  mailboxDepthMax: 10_000,
  peerQueueMessagesMax: 200_000,
  socketBufferedBytesHigh: 4 * 1024 * 1024,
  pendingAsksMax: 100_000,
  messagesPerTurnMax: 2_000,
  actorPathBytesMax: 256,
  nodeIdBytesMax: 64,
  closeReasonBytesMax: 120,
  linksMax: 1_024,
  pendingHandshakesMax: 256,
  inboundBlockedMsMax: 10_000,
  connectionsPerAddressMax: 1_024,
  connectionRatePerAddressPerS: 100,
  idleTimeoutMs: 30_000,
});

/** Checks that a set of limits is coherent; throws AssertionError naming the broken relation. */
export function checkLimits(limits: RuntimeLimits): void {
  assert(limits.envelopeBytesMax < limits.frameBytesMax, 'envelopeBytesMax < frameBytesMax');
  assert(limits.frameBytesTarget <= limits.frameBytesMax, 'frameBytesTarget <= frameBytesMax');
  assert(limits.mailboxDepthMax > 0, 'mailboxDepthMax > 0');
  assert(limits.messagesPerTurnMax > 0, 'messagesPerTurnMax > 0');
  assert(limits.envelopesPerFrameMax <= 0xffff_ffff, 'frame array length fits msgpack array32');
  assert(limits.closeReasonBytesMax <= 123, 'close reasons fit a WebSocket close frame');
  assert(limits.connectionsPerAddressMax > 0, 'connectionsPerAddressMax > 0');
  assert(limits.connectionRatePerAddressPerS >= 1, 'connectionRatePerAddressPerS >= 1');
  assert(limits.idleTimeoutMs >= 100, 'idleTimeoutMs >= 100');
}

checkLimits(defaultLimits);
