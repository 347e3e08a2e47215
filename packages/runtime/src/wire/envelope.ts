// The envelopes that travel inside a frame. On the wire each is a msgpack array whose first
// element is the kind (compact: no field names repeated per message); in memory each is a
// discriminated union. A frame is a msgpack array of envelopes (docs/wire-protocol.md).

/** Wire protocol version carried in the handshake; bump on any incompatible change. */
export const protocolVersion = 2;

export const EnvelopeKind = {
  hello: 0,
  welcome: 1,
  tell: 2,
  ask: 3,
  reply: 4,
  replyError: 5,
  watch: 6,
  unwatch: 7,
  terminated: 8,
  heartbeat: 9,
  /** Wire-only: `[10, to, from, [payload, ...]]`, consecutive tells folded into one. */
  tellMany: 10,
  /** Handshake, acceptor -> dialler: its identity, its nonce and its proof (protocol 2). */
  challenge: 11,
  /** Handshake, dialler -> acceptor: the dialler's proof (protocol 2). */
  auth: 12,
} as const;

/** First frame from the dialling side. */
export interface HelloEnvelope {
  kind: 'hello';
  proto: number;
  nodeId: string;
  role: string;
  listenUrl: string | null;
  /** Random per process start, so a peer can tell a restart from a duplicate connection. */
  incarnation: string;
  /** 32 random bytes, hex: never accepted twice (docs/wire-protocol.md#handshake). */
  nonce: string;
}

/** The acceptor's answer to a valid hello: who it is, and its proof of the cluster secret. */
export interface ChallengeEnvelope {
  kind: 'challenge';
  proto: number;
  nodeId: string;
  role: string;
  listenUrl: string | null;
  incarnation: string;
  nonce: string;
  /** HMAC-SHA256 over the transcript; null when the acceptor has no secret. */
  proof: Uint8Array | null;
}

/** The dialler's proof, sent once the acceptor's proof checked out. */
export interface AuthEnvelope {
  kind: 'auth';
  proof: Uint8Array | null;
}

/** The acceptor's last word: the dialler is authenticated; envelopes may flow. */
export interface WelcomeEnvelope {
  kind: 'welcome';
}

export interface TellEnvelope {
  kind: 'tell';
  to: string;
  from: string | null;
  payload: unknown;
}

export interface AskEnvelope {
  kind: 'ask';
  askId: number;
  to: string;
  from: string | null;
  /** Time the asker will still wait; relative because the two clocks are not comparable. */
  timeoutMs: number;
  payload: unknown;
}

export interface ReplyEnvelope {
  kind: 'reply';
  askId: number;
  payload: unknown;
}

export interface ReplyErrorEnvelope {
  kind: 'replyError';
  askId: number;
  code: string;
  message: string;
}

export interface WatchEnvelope {
  kind: 'watch' | 'unwatch';
  watcher: string;
  target: string;
}

export type TerminatedReason = 'stopped' | 'failed' | 'not-found' | 'node-down';

export interface TerminatedEnvelope {
  kind: 'terminated';
  target: string;
  reason: TerminatedReason;
}

export interface HeartbeatEnvelope {
  kind: 'heartbeat';
}

export type HandshakeEnvelope = HelloEnvelope | ChallengeEnvelope | AuthEnvelope | WelcomeEnvelope;

/** Everything that may follow the handshake. */
export type Envelope =
  | TellEnvelope
  | AskEnvelope
  | ReplyEnvelope
  | ReplyErrorEnvelope
  | WatchEnvelope
  | TerminatedEnvelope
  | HeartbeatEnvelope;

/** The compact array form of an envelope, as msgpack-encoded. */
export function toWire(envelope: Envelope | HandshakeEnvelope): unknown[] {
  switch (envelope.kind) {
    case 'hello': {
      const e = envelope;
      return [EnvelopeKind.hello, e.proto, e.nodeId, e.role, e.listenUrl, e.incarnation, e.nonce];
    }
    case 'challenge': {
      const e = envelope;
      const { proto, nodeId, role, listenUrl, incarnation, nonce, proof } = e;
      return [EnvelopeKind.challenge, proto, nodeId, role, listenUrl, incarnation, nonce, proof];
    }
    case 'auth':
      return [EnvelopeKind.auth, envelope.proof];
    case 'welcome':
      return [EnvelopeKind.welcome];
    case 'tell':
      return [EnvelopeKind.tell, envelope.to, envelope.from, envelope.payload];
    case 'ask': {
      const e = envelope;
      return [EnvelopeKind.ask, e.askId, e.to, e.from, e.timeoutMs, e.payload];
    }
    case 'reply':
      return [EnvelopeKind.reply, envelope.askId, envelope.payload];
    case 'replyError':
      return [EnvelopeKind.replyError, envelope.askId, envelope.code, envelope.message];
    case 'watch':
      return [EnvelopeKind.watch, envelope.watcher, envelope.target];
    case 'unwatch':
      return [EnvelopeKind.unwatch, envelope.watcher, envelope.target];
    case 'terminated':
      return [EnvelopeKind.terminated, envelope.target, envelope.reason];
    case 'heartbeat':
      return [EnvelopeKind.heartbeat];
  }
}
