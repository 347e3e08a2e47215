// Turns decoded-but-untrusted msgpack into typed envelopes. Every field is checked for type
// and bound; the first problem yields the close code and reason to send the peer. A frame is
// validated whole before any of it is dispatched, so a bad frame has no partial effect.
import { isNonce, isProof } from '../auth/handshake-proof.js';
import type { RuntimeLimits } from '../limits.js';
import { CloseCode } from './close-codes.js';
import {
  type Envelope,
  EnvelopeKind,
  type HandshakeEnvelope,
  protocolVersion,
  type TerminatedReason,
} from './envelope.js';
import { isValidActorPath, isValidNodeId } from './names.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; closeCode: number; reason: string };

type WireLimits = Pick<
  RuntimeLimits,
  'actorPathBytesMax' | 'nodeIdBytesMax' | 'envelopesPerFrameMax'
>;

const askTimeoutMsMax = 24 * 60 * 60 * 1000;
const errorCodeCharsMax = 64;
const errorMessageCharsMax = 2_048;
const roleCharsMax = 32;
const urlCharsMax = 256;
const terminatedReasons: ReadonlySet<string> = new Set<TerminatedReason>([
  'stopped',
  'failed',
  'not-found',
  'node-down',
]);

function bad<T>(reason: string): Parsed<T> {
  return { ok: false, closeCode: CloseCode.badEnvelope, reason };
}

function isAskId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isShortString(value: unknown, charsMax: number): value is string {
  return typeof value === 'string' && value.length <= charsMax;
}

/**
 * Validates a whole frame: an array of envelopes, none of them a handshake. A `tellMany` is
 * unfolded into its tells, so callers only ever see the in-memory envelope kinds.
 */
export function parseFrame(raw: unknown, limits: WireLimits): Parsed<Envelope[]> {
  if (!Array.isArray(raw)) return bad('frame is not an array');
  const envelopes: Envelope[] = [];
  for (const item of raw) {
    if (Array.isArray(item) && item[0] === EnvelopeKind.tellMany) {
      const unfolded = unfoldTellMany(item, limits, envelopes);
      if (!unfolded.ok) return unfolded;
    } else {
      const parsed = parseEnvelope(item, limits);
      if (!parsed.ok) return parsed;
      envelopes.push(parsed.value);
    }
    if (envelopes.length > limits.envelopesPerFrameMax) return bad('too many envelopes in a frame');
  }
  return { ok: true, value: envelopes };
}

function unfoldTellMany(raw: unknown[], limits: WireLimits, into: Envelope[]): Parsed<true> {
  const [, to, from, payloads] = raw;
  if (raw.length !== 4 || !Array.isArray(payloads) || payloads.length === 0) {
    return bad('malformed tellMany');
  }
  if (!isValidActorPath(to, limits.actorPathBytesMax)) return bad('tellMany: invalid target path');
  if (from !== null && !isValidActorPath(from, limits.actorPathBytesMax)) {
    return bad('tellMany: invalid sender path');
  }
  if (into.length + payloads.length > limits.envelopesPerFrameMax) {
    return bad('too many envelopes in a frame');
  }
  for (const payload of payloads) into.push({ kind: 'tell', to, from, payload });
  return { ok: true, value: true };
}

/** Validates one post-handshake envelope. */
export function parseEnvelope(raw: unknown, limits: WireLimits): Parsed<Envelope> {
  if (!Array.isArray(raw) || raw.length === 0) return bad('envelope is not a non-empty array');
  const kind: unknown = raw[0];
  switch (kind) {
    case EnvelopeKind.tell:
      return parseTell(raw, limits);
    case EnvelopeKind.ask:
      return parseAsk(raw, limits);
    case EnvelopeKind.reply:
      if (raw.length !== 3 || !isAskId(raw[1])) return bad('malformed reply');
      return { ok: true, value: { kind: 'reply', askId: raw[1], payload: raw[2] } };
    case EnvelopeKind.replyError:
      return parseReplyError(raw);
    case EnvelopeKind.watch:
    case EnvelopeKind.unwatch:
      return parseWatch(raw, limits);
    case EnvelopeKind.terminated:
      return parseTerminated(raw, limits);
    case EnvelopeKind.heartbeat:
      if (raw.length !== 1) return bad('malformed heartbeat');
      return { ok: true, value: { kind: 'heartbeat' } };
    case EnvelopeKind.hello:
    case EnvelopeKind.welcome:
    case EnvelopeKind.challenge:
    case EnvelopeKind.auth:
      return bad('handshake envelope after the handshake');
    default:
      return {
        ok: false,
        closeCode: CloseCode.unknownKind,
        reason: `unknown envelope kind ${describeKind(kind)}`,
      };
  }
}

/** Never String() a decoded map or array: `{ toString: 1 }` makes it throw (found by fuzzing). */
function describeKind(kind: unknown): string {
  if (typeof kind === 'object' && kind !== null) return Array.isArray(kind) ? 'array' : 'map';
  return String(kind).slice(0, 16);
}

function parseTell(raw: unknown[], limits: WireLimits): Parsed<Envelope> {
  const [, to, from, payload] = raw;
  if (raw.length !== 4) return bad('malformed tell');
  if (!isValidActorPath(to, limits.actorPathBytesMax)) return bad('tell: invalid target path');
  if (from !== null && !isValidActorPath(from, limits.actorPathBytesMax)) {
    return bad('tell: invalid sender path');
  }
  return { ok: true, value: { kind: 'tell', to, from, payload } };
}

function parseAsk(raw: unknown[], limits: WireLimits): Parsed<Envelope> {
  const [, askId, to, from, timeoutMs, payload] = raw;
  if (raw.length !== 6 || !isAskId(askId)) return bad('malformed ask');
  if (!isValidActorPath(to, limits.actorPathBytesMax)) return bad('ask: invalid target path');
  if (from !== null && !isValidActorPath(from, limits.actorPathBytesMax)) {
    return bad('ask: invalid sender path');
  }
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > askTimeoutMsMax) {
    return bad('ask: timeoutMs out of range');
  }
  return { ok: true, value: { kind: 'ask', askId, to, from, timeoutMs, payload } };
}

function parseReplyError(raw: unknown[]): Parsed<Envelope> {
  const [, askId, code, message] = raw;
  if (raw.length !== 4 || !isAskId(askId)) return bad('malformed replyError');
  if (!isShortString(code, errorCodeCharsMax) || !isShortString(message, errorMessageCharsMax)) {
    return bad('replyError: code or message invalid');
  }
  return { ok: true, value: { kind: 'replyError', askId, code, message } };
}

function parseWatch(raw: unknown[], limits: WireLimits): Parsed<Envelope> {
  const [kind, watcher, target] = raw;
  if (raw.length !== 3) return bad('malformed watch');
  if (!isValidActorPath(watcher, limits.actorPathBytesMax)) return bad('watch: invalid watcher');
  if (!isValidActorPath(target, limits.actorPathBytesMax)) return bad('watch: invalid target');
  const envelopeKind = kind === EnvelopeKind.watch ? 'watch' : 'unwatch';
  return { ok: true, value: { kind: envelopeKind, watcher, target } };
}

function parseTerminated(raw: unknown[], limits: WireLimits): Parsed<Envelope> {
  const [, target, reason] = raw;
  if (raw.length !== 3) return bad('malformed terminated');
  if (!isValidActorPath(target, limits.actorPathBytesMax)) return bad('terminated: bad target');
  if (typeof reason !== 'string' || !terminatedReasons.has(reason)) {
    return bad('terminated: unknown reason');
  }
  return { ok: true, value: { kind: 'terminated', target, reason: reason as TerminatedReason } };
}

/**
 * Validates the single envelope of a handshake frame (`[[hello...]]`, `[[challenge...]]`,
 * `[[auth...]]` or `[[welcome]]`). A hello or challenge with another protocol version is
 * refused with 4002 before its other fields are read, since their shape may differ.
 */
export function parseHandshake(raw: unknown, limits: WireLimits): Parsed<HandshakeEnvelope> {
  if (!Array.isArray(raw) || raw.length !== 1 || !Array.isArray(raw[0])) {
    return handshakeError('expected a handshake frame');
  }
  const env: unknown[] = raw[0];
  const kind = env[0];
  if (kind === EnvelopeKind.welcome && env.length === 1) {
    return { ok: true, value: { kind: 'welcome' } };
  }
  if (kind === EnvelopeKind.auth && env.length === 2) {
    const proof = env[1];
    if (proof !== null && !isProof(proof)) return handshakeError('auth: malformed proof');
    return { ok: true, value: { kind: 'auth', proof } };
  }
  const isHello = kind === EnvelopeKind.hello && env.length >= 2;
  const isChallenge = kind === EnvelopeKind.challenge && env.length >= 2;
  if (!isHello && !isChallenge) return handshakeError('expected a handshake envelope');
  const proto = env[1];
  if (typeof proto !== 'number' || !Number.isSafeInteger(proto)) {
    return handshakeError('handshake: protocol version missing');
  }
  if (proto !== protocolVersion) {
    const reason = `protocol ${proto} not supported; this node speaks ${protocolVersion}`;
    return { ok: false, closeCode: CloseCode.protocolVersion, reason };
  }
  if (env.length !== (isHello ? 7 : 8)) return handshakeError('malformed handshake envelope');
  const [, , nodeId, role, listenUrl, incarnation, nonce, proof] = env;
  if (!isValidNodeId(nodeId, limits.nodeIdBytesMax)) return handshakeError('invalid node id');
  if (!isShortString(role, roleCharsMax)) return handshakeError('invalid role');
  if (listenUrl !== null && !isListenUrl(listenUrl)) return handshakeError('invalid listen url');
  if (!isValidNodeId(incarnation, limits.nodeIdBytesMax)) return handshakeError('bad incarnation');
  if (!isNonce(nonce)) return handshakeError('malformed nonce');
  const identity = { proto, nodeId, role, listenUrl, incarnation, nonce };
  if (isHello) return { ok: true, value: { kind: 'hello', ...identity } };
  if (proof !== null && !isProof(proof)) return handshakeError('challenge: malformed proof');
  return { ok: true, value: { kind: 'challenge', ...identity, proof } };
}

function handshakeError(reason: string): Parsed<HandshakeEnvelope> {
  return { ok: false, closeCode: CloseCode.handshake, reason };
}

function isListenUrl(value: unknown): value is string {
  return isShortString(value, urlCharsMax) && /^wss?:\/\/[^\s]+$/.test(value);
}
