// The transport port: how an actor system reaches other systems. `WsTransport` is the real
// adapter; a simulator can supply an in-memory one. Delivery is in order per peer and at most
// once; a send to a peer without an open connection fails fast instead of queueing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Envelope } from '../wire/envelope.js';

/** Answers a plain HTTP request that arrived on the listen port (not a WebSocket upgrade). */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** What waits to go out to one peer, for metrics. */
export interface OutboundQueueInfo {
  nodeId: string;
  /** Envelopes queued for the next flush. */
  queuedMessages: number;
  /** Encoded frames handed to the socket and not yet written to the kernel. */
  bufferedBytes: number;
}

export interface PeerInfo {
  nodeId: string;
  role: string;
  /** Where the peer accepts connections, if it listens at all. */
  listenUrl: string | null;
  /** Random per process start: a new value means the peer restarted. */
  incarnation: string;
}

export interface TransportHandler {
  /**
   * Handles one inbound envelope. When `mayDefer` is true the handler may return false
   * ("the target cannot take it yet"): the transport stops reading from that peer, which
   * pushes back over TCP to the sender, and offers the same envelope again shortly.
   */
  onEnvelope(fromNodeId: string, envelope: Envelope, mayDefer: boolean): boolean;
  onPeerUp(peer: PeerInfo): void;
  /** The peer's connection is gone; anything in flight to it may or may not have arrived. */
  onPeerDown(nodeId: string, reason: string): void;
}

export interface Transport {
  readonly nodeId: string;
  /** Starts listening (when configured) and remembers who to tell about traffic. */
  start(handler: TransportHandler): Promise<void>;
  /** The URL peers can dial, or null for a system that only dials out. */
  listenUrl(): string | null;
  /**
   * Keeps a connection to `url` from now on, reconnecting with backoff whenever it drops.
   * Resolves with the peer's node id once a handshake succeeds, or rejects after `timeoutMs`
   * with the last error (UnauthorizedError, ProtocolError or PeerUnavailableError).
   */
  connect(url: string, timeoutMs: number): Promise<string>;
  /**
   * Queues an envelope for the peer; never blocks. Throws PeerUnavailableError (no
   * connection) or OverloadedError (queue full). Encoding happens when the frame is built, in
   * the same event-loop turn: an envelope that turns out too large (PayloadTooLargeError) or
   * not encodable (EncodeError) is reported to `onError`, or logged and dropped without one.
   */
  send(nodeId: string, envelope: Envelope, onError?: (error: Error) => void): void;
  /** Links to `nodeId` that are waiting out a backoff dial now (see Link.hurry). */
  redialNow(nodeId: string): void;
  isConnected(nodeId: string): boolean;
  peers(): PeerInfo[];
  /** Resolves once the peer's outbound queue has drained into its socket (or it went down). */
  whenWritable(nodeId: string): Promise<void>;
  /** Per connected peer, what waits to go out; optional (an in-memory transport may not). */
  outboundQueues?(): OutboundQueueInfo[];
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}
