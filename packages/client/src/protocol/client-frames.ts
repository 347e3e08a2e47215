// The client protocol spoken between the SDK (or any client, in any language) and a balancer,
// over one WebSocket with binary msgpack frames:
//   1. the client's first frame is a `ClientHello`; the balancer answers `BalancerWelcome`
//      (or closes with a code below);
//   2. then each client frame is an array of `[requestId, request]` or
//      `[requestId, request, timeoutMs]`, and each balancer frame an array of
//      `[requestId, reply]`. Ids are the client's own; replies may come in any order.
// A request that is malformed is answered with a typed error under its id; a frame that is
// malformed closes the connection with a code and reason. `[id, { op: 'ping' }]` is
// answered `[id, { ok: true, op: 'ping' }]` at once, without touching the cluster: how a
// client tells a hung balancer from a slow cluster (browser code cannot send WebSocket
// pings). Pure: no I/O, no runtime import, so a browser bundle can carry it.

export const clientProtocolVersion = 1;

export interface ClientHello {
  readonly type: 'hello';
  readonly proto: number;
  /** A client token (`troupe token create`), when the balancer requires one. */
  readonly token?: string | null;
  /** Shown in the balancer's logs and /status. */
  readonly name?: string;
}

export interface BalancerWelcome {
  readonly type: 'welcome';
  readonly proto: number;
  readonly balancerId: string;
  readonly shardCount: number;
  /** Requests this connection may have outstanding; the balancer stops reading beyond it. */
  readonly inflightMax: number;
  readonly requestsPerFrameMax: number;
  readonly frameBytesMax: number;
  readonly keyBytesMax: number;
  readonly valueBytesMax: number;
}

/** Close codes of a client connection (RFC 6455 private range for ours). */
export const ClientCloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** A text frame: the protocol is binary msgpack only. */
  unsupportedData: 1003,
  /** A frame that is not valid msgpack. */
  invalidPayload: 1007,
  /** Policy: no hello within the handshake time, or the token expired while connected. */
  unauthenticated: 1008,
  /** A frame over `frameBytesMax`. */
  messageTooBig: 1009,
  /** The balancer is at its connection limit; try another or later. */
  tryAgainLater: 1013,
  /** A frame of the wrong shape (not an array of [id, request] tuples, too many of them). */
  badFrame: 4000,
  protocolVersion: 4002,
  unauthorized: 4003,
  /** The first frame was not a hello, or none came in time. */
  handshake: 4004,
  /** The client did not read its replies and they piled up past the bound. */
  slowConsumer: 4008,
  /**
   * No complete message and no pong for the balancer's idle timeout (it pings at half of it,
   * so a live client, even an idle one, always answers in time).
   */
  idle: 4010,
} as const;

/** Most requests one frame may carry. */
export const requestsPerFrameMax = 1_024;
/** Longest per-request timeout a client may ask for. */
export const requestTimeoutMsMax = 120_000;
const requestIdMax = 2 ** 32 - 1;
const nameCharsMax = 128;
const tokenCharsMax = 4_096;

export type HelloCheck =
  | { readonly ok: true; readonly hello: ClientHello }
  | { readonly ok: false; readonly closeCode: number; readonly reason: string };

export function checkHello(message: unknown): HelloCheck {
  const fail = (closeCode: number, reason: string): HelloCheck => ({
    ok: false,
    closeCode,
    reason,
  });
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return fail(ClientCloseCode.handshake, 'first frame must be a hello map');
  }
  const m = message as Record<string, unknown>;
  if (m.type !== 'hello') return fail(ClientCloseCode.handshake, 'first frame must be a hello');
  if (m.proto !== clientProtocolVersion) {
    return fail(ClientCloseCode.protocolVersion, `protocol ${clientProtocolVersion} only`);
  }
  const token = m.token ?? null;
  if (token !== null && (typeof token !== 'string' || token.length > tokenCharsMax)) {
    return fail(ClientCloseCode.handshake, 'token must be a string');
  }
  const name = m.name;
  if (name !== undefined && (typeof name !== 'string' || name.length > nameCharsMax)) {
    return fail(ClientCloseCode.handshake, `name must be a string of at most ${nameCharsMax}`);
  }
  return { ok: true, hello: { type: 'hello', proto: clientProtocolVersion, token, name } };
}

/** One request slot of a frame, before the request itself is validated. */
export interface FrameItem {
  readonly id: number;
  readonly request: unknown;
  readonly timeoutMs: number | undefined;
}

export type FrameCheck =
  | { readonly ok: true; readonly items: readonly FrameItem[] }
  | { readonly ok: false; readonly reason: string };

function isRequestId(value: unknown): value is number {
  return (
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= requestIdMax
  );
}

function isTimeoutMs(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value > 0 &&
    value <= requestTimeoutMsMax
  );
}

/** Checks a decoded request frame's shape; the requests inside are checked one by one later. */
export function checkRequestFrame(frame: unknown): FrameCheck {
  if (!Array.isArray(frame)) return { ok: false, reason: 'frame must be an array' };
  if (frame.length === 0 || frame.length > requestsPerFrameMax) {
    return { ok: false, reason: `frame must carry 1 to ${requestsPerFrameMax} requests` };
  }
  const items: FrameItem[] = [];
  for (const [position, item] of frame.entries()) {
    if (!Array.isArray(item) || item.length < 2 || item.length > 3) {
      return { ok: false, reason: `item ${position} must be [id, request] or [id, request, ms]` };
    }
    const [id, request, timeoutMs] = item as unknown[];
    if (!isRequestId(id)) return { ok: false, reason: `item ${position}: id must be a uint32` };
    if (timeoutMs !== undefined && !isTimeoutMs(timeoutMs)) {
      return { ok: false, reason: `item ${position}: timeout must be 1 to ${requestTimeoutMsMax}` };
    }
    items.push({ id, request, timeoutMs });
  }
  return { ok: true, items };
}

/** Answered at once by the balancer itself: proves the connection and the balancer are alive. */
export interface PingRequest {
  readonly op: 'ping';
}

export interface PingReply {
  readonly ok: true;
  readonly op: 'ping';
}

export const pingReply: PingReply = { ok: true, op: 'ping' };

export function isPingRequest(request: unknown): request is PingRequest {
  if (typeof request !== 'object' || request === null) return false;
  const fields = Object.keys(request);
  return fields.length === 1 && (request as { op?: unknown }).op === 'ping';
}
