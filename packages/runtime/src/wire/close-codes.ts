// WebSocket close codes the runtime uses, with the error code each maps to. A peer that
// breaks the protocol is closed with one of these and a short reason; docs/wire-protocol.md
// lists them for implementers in other languages.

export const CloseCode = {
  /** Orderly shutdown of this system. */
  normal: 1000,
  /** The system is going away (process exit). */
  goingAway: 1001,
  /** Text frames are not part of the protocol. */
  unsupportedData: 1003,
  /** A frame that is not valid msgpack. */
  invalidPayload: 1007,
  /**
   * Policy violation: the peer failed authentication (a wrong or missing proof of the cluster
   * secret, a replayed nonce) or did not finish the handshake within its time.
   */
  unauthenticated: 1008,
  /** A frame over `frameBytesMax` (sent by ws itself). */
  messageTooBig: 1009,
  /** Too many connections are still in their handshake; retry later. */
  tryAgainLater: 1013,
  /** An envelope with the wrong shape, types or bounds. */
  badEnvelope: 4000,
  /** An envelope kind this protocol version does not define. */
  unknownKind: 4001,
  /** The peer speaks another protocol version. */
  protocolVersion: 4002,
  /** Protocol 1's wrong token; protocol 2 closes with 1008 (`unauthenticated`) instead. */
  unauthorized: 4003,
  /** No valid handshake as the first frame, or none in time. */
  handshake: 4004,
  /** Both sides dialled; the connection dialled by the smaller node id is kept. */
  duplicate: 4005,
  /** The failure detector suspected the peer (no heartbeats). */
  suspected: 4006,
  /** The peer claims our own node id, or not the id we expected at that address. */
  nodeIdConflict: 4007,
  /**
   * No complete message (heartbeats count) within `idleTimeoutMs`: a silent peer, or one that
   * trickles a frame it never finishes.
   */
  idle: 4010,
} as const;

export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

const errorCodeByClose: Record<number, string> = {
  [CloseCode.unsupportedData]: 'TROUPE_ERR_PROTOCOL',
  [CloseCode.invalidPayload]: 'TROUPE_ERR_DECODE',
  [CloseCode.unauthenticated]: 'TROUPE_ERR_AUTH',
  [CloseCode.messageTooBig]: 'TROUPE_ERR_PAYLOAD_TOO_LARGE',
  [CloseCode.badEnvelope]: 'TROUPE_ERR_BAD_ENVELOPE',
  [CloseCode.unknownKind]: 'TROUPE_ERR_UNKNOWN_KIND',
  [CloseCode.protocolVersion]: 'TROUPE_ERR_PROTOCOL_VERSION',
  [CloseCode.unauthorized]: 'TROUPE_ERR_UNAUTHORIZED',
  [CloseCode.handshake]: 'TROUPE_ERR_HANDSHAKE',
  [CloseCode.nodeIdConflict]: 'TROUPE_ERR_NODE_ID_CONFLICT',
};

/** The stable error code for a close code, or undefined when the close is not an error. */
export function errorCodeForClose(closeCode: number): string | undefined {
  return errorCodeByClose[closeCode];
}
