// The versioned, authenticated handshake that opens every connection (docs/wire-protocol.md):
//   dialler  -> hello     {proto, identity, nonce}
//   acceptor -> challenge {proto, identity, nonce, proof = HMAC(secret, accept ‖ transcript)}
//   dialler  -> auth      {proof = HMAC(secret, dial ‖ transcript)}
//   acceptor -> welcome
// The dialler checks the acceptor's proof before it sends its own, so both sides authenticate
// each other and neither proves anything to a stranger first. Nonces are never accepted twice
// (NonceCache), so a recorded handshake cannot be replayed. Any failure closes the socket with
// the code that says what was wrong: 1008 for authentication, logged once without the secret.
import { WebSocket } from 'ws';
import {
  acceptLabel,
  dialLabel,
  type HandshakeSide,
  handshakeProof,
  newNonce,
  proofMatches,
  type Transcript,
} from '../auth/handshake-proof.js';
import type { NonceCache } from '../auth/nonce-cache.js';
import type { SecretKey } from '../auth/secret.js';
import { AuthenticationError, PeerUnavailableError, ProtocolError } from '../errors.js';
import type { RuntimeLimits } from '../limits.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import { CloseCode, errorCodeForClose } from '../wire/close-codes.js';
import { decodeFrame, encodeWholeFrame } from '../wire/codec.js';
import {
  type AuthEnvelope,
  type ChallengeEnvelope,
  type HandshakeEnvelope,
  protocolVersion,
  toWire,
} from '../wire/envelope.js';
import { parseHandshake } from '../wire/validate.js';
import { truncateUtf8 } from './connection.js';
import type { DialTlsOptions } from './tls.js';
import type { PeerInfo } from './transport.js';

export interface HandshakeConfig {
  nodeId: string;
  role: string;
  listenUrl: string | null;
  incarnation: string;
  /** The cluster secret: proven to every peer and required of it; null = none (loopback dev). */
  secret: SecretKey | null;
  /** Every nonce this process sent or received in a handshake, shared by all of them. */
  nonces: NonceCache;
  limits: RuntimeLimits;
  clock: Clock;
  timeoutMs: number;
  /** For wss:// dials: the CA to trust and the certificate to present (tls.ts). */
  dialTls?: DialTlsOptions | undefined;
}

interface Refusal {
  ok: false;
  closeCode: number;
  reason: string;
}

type Checked<T> = ({ ok: true } & T) | Refusal;

function refusal(closeCode: number, reason: string): Refusal {
  return { ok: false, closeCode, reason };
}

function unauthenticated(reason: string): Refusal {
  return refusal(CloseCode.unauthenticated, reason);
}

/** The typed error for a refusal: AuthenticationError for 1008, else a ProtocolError. */
function errorOf(closeCode: number, reason: string): Error {
  if (closeCode === CloseCode.unauthenticated) return new AuthenticationError(reason);
  const errorCode = errorCodeForClose(closeCode);
  if (errorCode) return new ProtocolError(errorCode, closeCode, reason);
  return new PeerUnavailableError(reason);
}

/** The typed error a dialler gets when the acceptor closes during the handshake. */
export function handshakeCloseError(code: number, reason: string): Error {
  return errorOf(code, `closed during handshake (${code}${reason ? `: ${reason}` : ''})`);
}

function ownSide(config: HandshakeConfig): HandshakeSide {
  const { nodeId, role, listenUrl, incarnation } = config;
  const nonce = newNonce();
  config.nonces.remember(nonce);
  return { nodeId, role, listenUrl, incarnation, nonce };
}

function peerOf(side: HandshakeSide): PeerInfo {
  const { nodeId, role, listenUrl, incarnation } = side;
  return { nodeId, role, listenUrl, incarnation };
}

function send(ws: WebSocket, envelope: HandshakeEnvelope): void {
  ws.send(encodeWholeFrame([toWire(envelope)]));
}

function parseHandshakeFrame(
  data: Buffer,
  isBinary: boolean,
  config: HandshakeConfig,
): Checked<{ value: HandshakeEnvelope }> {
  if (!isBinary) return refusal(CloseCode.unsupportedData, 'text frames are not accepted');
  const decoded = decodeFrame(data);
  if (!decoded.ok) return refusal(CloseCode.invalidPayload, decoded.reason);
  const parsed = parseHandshake(decoded.value, config.limits);
  if (!parsed.ok) return refusal(parsed.closeCode, parsed.reason);
  return parsed;
}

/**
 * Dials `url` and completes the handshake. `adopt` receives the open socket synchronously,
 * inside the welcome's message event, so a frame that arrives right behind the welcome finds
 * its listener already attached; the promise then resolves with the peer.
 */
export function dialHandshake(
  url: string,
  config: HandshakeConfig,
  adopt: (ws: WebSocket, peer: PeerInfo) => void,
): Promise<PeerInfo> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      maxPayload: config.limits.frameBytesMax,
      perMessageDeflate: false,
      handshakeTimeout: config.timeoutMs,
      ...config.dialTls,
    });
    const me = ownSide(config);
    let peer: PeerInfo | null = null;
    let settled = false;
    const finish = (error: Error | undefined, closing = false): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (error || !peer) {
        // After our close frame, give it a moment to reach the acceptor, which logs why.
        if (closing) config.clock.setTimer(1_000, () => ws.terminate());
        else ws.terminate();
        reject(error);
      } else {
        adopt(ws, peer);
        resolve(peer);
      }
    };
    const timer = config.clock.setTimer(config.timeoutMs, () =>
      finish(new PeerUnavailableError(`handshake with ${url} timed out`)),
    );
    const onClose = (code: number, reason: Buffer): void =>
      finish(handshakeCloseError(code, reason.toString('utf8')));
    const onMessage = (data: Buffer, isBinary: boolean): void => {
      const step = peer === null ? answerChallenge(data, isBinary, config, me) : null;
      if (step?.ok) {
        peer = step.peer;
        return send(ws, step.auth);
      }
      const checked = step ?? checkWelcome(data, isBinary, config);
      if (checked.ok) return finish(undefined);
      ws.close(checked.closeCode, truncateUtf8(checked.reason, config.limits.closeReasonBytesMax));
      finish(errorOf(checked.closeCode, checked.reason), true);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', (error) => finish(new PeerUnavailableError(error.message, { cause: error })));
    ws.once('open', () => send(ws, { kind: 'hello', proto: protocolVersion, ...me }));
  });
}

/** Checks the acceptor's challenge and builds our auth. */
function answerChallenge(
  data: Buffer,
  isBinary: boolean,
  config: HandshakeConfig,
  me: HandshakeSide,
): Checked<{ peer: PeerInfo; auth: AuthEnvelope }> {
  const envelope = parseHandshakeFrame(data, isBinary, config);
  if (!envelope.ok) return envelope;
  const challenge = envelope.value;
  if (challenge.kind !== 'challenge') return refusal(CloseCode.handshake, 'expected challenge');
  if (challenge.nodeId === config.nodeId) {
    return refusal(CloseCode.nodeIdConflict, `peer claims our node id ${config.nodeId}`);
  }
  if (!config.nonces.remember(challenge.nonce)) {
    return unauthenticated('replayed handshake: the peer reused a nonce');
  }
  const transcript: Transcript = { proto: protocolVersion, dialler: me, acceptor: challenge };
  const secret = config.secret;
  if (secret === null)
    return { ok: true, peer: peerOf(challenge), auth: { kind: 'auth', proof: null } };
  if (challenge.proof === null) return unauthenticated('the peer has no cluster secret');
  if (!proofMatches(secret, acceptLabel, transcript, challenge.proof)) {
    return unauthenticated('the peer failed to prove the cluster secret');
  }
  const proof = handshakeProof(secret, dialLabel, transcript);
  return { ok: true, peer: peerOf(challenge), auth: { kind: 'auth', proof } };
}

function checkWelcome(data: Buffer, isBinary: boolean, config: HandshakeConfig): Checked<object> {
  const envelope = parseHandshakeFrame(data, isBinary, config);
  if (!envelope.ok) return envelope;
  if (envelope.value.kind !== 'welcome') return refusal(CloseCode.handshake, 'expected welcome');
  return { ok: true };
}

/** Checks a hello and builds our challenge (with its transcript, for checking the auth). */
function answerHello(
  data: Buffer,
  isBinary: boolean,
  config: HandshakeConfig,
): Checked<{ peer: PeerInfo; challenge: ChallengeEnvelope; transcript: Transcript }> {
  const envelope = parseHandshakeFrame(data, isBinary, config);
  if (!envelope.ok) return envelope;
  const hello = envelope.value;
  if (hello.kind !== 'hello') return refusal(CloseCode.handshake, 'expected hello');
  if (hello.nodeId === config.nodeId) {
    return refusal(CloseCode.nodeIdConflict, `dialler claims our node id ${config.nodeId}`);
  }
  if (!config.nonces.remember(hello.nonce)) {
    return unauthenticated('replayed handshake: nonce seen before');
  }
  const me = ownSide(config);
  const transcript: Transcript = { proto: protocolVersion, dialler: hello, acceptor: me };
  const proof = config.secret && handshakeProof(config.secret, acceptLabel, transcript);
  const challenge: ChallengeEnvelope = { kind: 'challenge', proto: protocolVersion, ...me, proof };
  return { ok: true, peer: peerOf(hello), challenge, transcript };
}

function checkAuth(
  data: Buffer,
  isBinary: boolean,
  config: HandshakeConfig,
  transcript: Transcript,
): Checked<object> {
  const envelope = parseHandshakeFrame(data, isBinary, config);
  if (!envelope.ok) return envelope;
  const auth = envelope.value;
  if (auth.kind !== 'auth') return refusal(CloseCode.handshake, 'expected auth');
  // Without a secret of our own there is nothing to check: the dialler, if it had one,
  // already refused our proof-less challenge.
  if (config.secret === null) return { ok: true };
  if (auth.proof === null) return unauthenticated('no proof of the cluster secret');
  if (!proofMatches(config.secret, dialLabel, transcript, auth.proof)) {
    return unauthenticated('wrong proof of the cluster secret');
  }
  return { ok: true };
}

/**
 * Runs the accepting side of the handshake on a fresh inbound socket. Calls `onAccepted` after
 * sending welcome; on bad input closes the socket with the matching code, logged once.
 */
export function acceptHandshake(
  ws: WebSocket,
  config: HandshakeConfig,
  logger: Logger,
  onAccepted: (peer: PeerInfo) => void,
): void {
  let pending: { peer: PeerInfo; transcript: Transcript } | null = null;
  let done = false;
  const stop = (): void => {
    done = true;
    timer.cancel();
    ws.off('message', onMessage);
    ws.off('close', onPeerClose);
  };
  const refuse = (closeCode: number, reason: string): void => {
    if (done) return;
    stop();
    logger.warn({ closeCode, reason, peer: pending?.peer.nodeId }, 'refusing inbound connection');
    ws.close(closeCode, truncateUtf8(reason, config.limits.closeReasonBytesMax));
    config.clock.setTimer(1_000, () => ws.terminate());
  };
  const timer = config.clock.setTimer(config.timeoutMs, () =>
    refuse(CloseCode.unauthenticated, `not authenticated within ${config.timeoutMs} ms`),
  );
  // Until the connection is adopted, socket-level errors (an oversized frame, a broken
  // upgrade) are ours to log; an 'error' with no listener would crash the process.
  const onError = (error: Error): void => {
    logger.warn({ err: error.message }, 'inbound connection error during handshake');
  };
  // The dialler found our proof wrong: worth one line, since it points at our own secret.
  const onPeerClose = (code: number, reason: Buffer): void => {
    stop();
    if (code !== CloseCode.unauthenticated) return;
    const text = reason.toString('utf8');
    logger.warn({ closeCode: code, reason: text }, 'dialler refused our handshake');
  };
  const onMessage = (data: Buffer, isBinary: boolean): void => {
    if (pending === null) {
      const hello = answerHello(data, isBinary, config);
      if (!hello.ok) return refuse(hello.closeCode, hello.reason);
      pending = { peer: hello.peer, transcript: hello.transcript };
      return send(ws, hello.challenge);
    }
    const auth = checkAuth(data, isBinary, config, pending.transcript);
    if (!auth.ok) return refuse(auth.closeCode, auth.reason);
    stop();
    ws.off('error', onError);
    ws.on('error', () => {});
    send(ws, { kind: 'welcome' });
    onAccepted(pending.peer);
  };
  ws.on('error', onError);
  ws.on('message', onMessage);
  ws.once('close', onPeerClose);
}
