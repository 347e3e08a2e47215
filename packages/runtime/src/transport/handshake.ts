// The versioned handshake that opens every connection: the dialler sends hello (protocol
// version, node id, role, listen URL, incarnation, optional token); the acceptor checks it and
// answers welcome, or closes with the code that says what was wrong (docs/wire-protocol.md).
import { WebSocket } from 'ws';
import { PeerUnavailableError, ProtocolError } from '../errors.js';
import type { RuntimeLimits } from '../limits.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import { CloseCode, errorCodeForClose } from '../wire/close-codes.js';
import { decodeFrame, encodeWholeFrame } from '../wire/codec.js';
import { type HandshakeEnvelope, protocolVersion, toWire } from '../wire/envelope.js';
import { parseHandshake } from '../wire/validate.js';
import { truncateUtf8 } from './connection.js';
import { tokensEqual } from './token.js';
import type { PeerInfo } from './transport.js';

export interface HandshakeConfig {
  nodeId: string;
  role: string;
  listenUrl: string | null;
  incarnation: string;
  /** Shared secret: sent when dialling, required from diallers when accepting. */
  token: string | null;
  limits: RuntimeLimits;
  clock: Clock;
  timeoutMs: number;
}

function peerOf(envelope: HandshakeEnvelope): PeerInfo {
  const { nodeId, role, listenUrl, incarnation } = envelope;
  return { nodeId, role, listenUrl, incarnation };
}

/** The typed error a dialler gets when the acceptor closes during the handshake. */
export function handshakeCloseError(code: number, reason: string): Error {
  const errorCode = errorCodeForClose(code);
  const detail = `closed during handshake (${code}${reason ? `: ${reason}` : ''})`;
  if (errorCode) return new ProtocolError(errorCode, code, detail);
  return new PeerUnavailableError(detail);
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
    });
    let settled = false;
    const finish = (error: Error | undefined, peer?: PeerInfo): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      ws.off('message', onMessage);
      ws.off('close', onClose);
      if (error || !peer) {
        ws.terminate();
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
      const checked = checkWelcome(data, isBinary, config);
      if (checked.ok) return finish(undefined, checked.peer);
      ws.close(checked.closeCode, truncateUtf8(checked.reason, config.limits.closeReasonBytesMax));
      finish(new ProtocolError(checked.errorCode, checked.closeCode, checked.reason));
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('error', (error) => finish(new PeerUnavailableError(error.message, { cause: error })));
    ws.once('open', () => ws.send(encodeWholeFrame([toWire(helloOf(config))])));
  });
}

function helloOf(config: HandshakeConfig): HandshakeEnvelope {
  const { nodeId, role, listenUrl, incarnation, token } = config;
  return { kind: 'hello', proto: protocolVersion, nodeId, role, listenUrl, incarnation, token };
}

interface Refusal {
  ok: false;
  closeCode: number;
  errorCode: string;
  reason: string;
}

type Checked = { ok: true; peer: PeerInfo } | Refusal;

function refusal(closeCode: number, reason: string): Refusal {
  return { ok: false, closeCode, reason, errorCode: errorCodeForClose(closeCode) ?? 'TROUPE_ERR' };
}

function checkWelcome(data: Buffer, isBinary: boolean, config: HandshakeConfig): Checked {
  const envelope = parseHandshakeFrame(data, isBinary, config);
  if (!envelope.ok) return envelope;
  const welcome = envelope.value;
  if (welcome.kind !== 'welcome') return refusal(CloseCode.handshake, 'expected welcome');
  if (welcome.proto !== protocolVersion) {
    return refusal(CloseCode.protocolVersion, `peer speaks protocol ${welcome.proto}`);
  }
  if (welcome.nodeId === config.nodeId) {
    return refusal(CloseCode.nodeIdConflict, `peer claims our node id ${config.nodeId}`);
  }
  return { ok: true, peer: peerOf(welcome) };
}

function parseHandshakeFrame(
  data: Buffer,
  isBinary: boolean,
  config: HandshakeConfig,
): { ok: true; value: HandshakeEnvelope } | Refusal {
  if (!isBinary) return refusal(CloseCode.unsupportedData, 'text frames are not accepted');
  const decoded = decodeFrame(data);
  if (!decoded.ok) return refusal(CloseCode.invalidPayload, decoded.reason);
  const parsed = parseHandshake(decoded.value, config.limits);
  if (!parsed.ok) return refusal(parsed.closeCode, parsed.reason);
  return parsed;
}

function checkHello(data: Buffer, isBinary: boolean, config: HandshakeConfig): Checked {
  const envelope = parseHandshakeFrame(data, isBinary, config);
  if (!envelope.ok) return envelope;
  const hello = envelope.value;
  if (hello.kind !== 'hello') return refusal(CloseCode.handshake, 'expected hello');
  if (hello.proto !== protocolVersion) {
    const reason = `protocol ${hello.proto} not supported; this node speaks ${protocolVersion}`;
    return refusal(CloseCode.protocolVersion, reason);
  }
  if (config.token !== null && (hello.token === null || !tokensEqual(hello.token, config.token))) {
    return refusal(CloseCode.unauthorized, 'missing or wrong token');
  }
  if (hello.nodeId === config.nodeId) {
    return refusal(CloseCode.nodeIdConflict, `dialler claims our node id ${config.nodeId}`);
  }
  return { ok: true, peer: peerOf(hello) };
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
  const refuse = (closeCode: number, reason: string): void => {
    logger.warn({ closeCode, reason }, 'refusing inbound connection');
    ws.close(closeCode, truncateUtf8(reason, config.limits.closeReasonBytesMax));
    config.clock.setTimer(1_000, () => ws.terminate());
  };
  const timer = config.clock.setTimer(config.timeoutMs, () =>
    refuse(CloseCode.handshake, 'no handshake in time'),
  );
  // Until the connection is adopted, socket-level errors (an oversized frame, a broken
  // upgrade) are ours to log; an 'error' with no listener would crash the process.
  const onError = (error: Error): void => {
    logger.warn({ err: error.message }, 'inbound connection error during handshake');
  };
  ws.on('error', onError);
  ws.once('close', () => timer.cancel());
  ws.once('message', (data: Buffer, isBinary: boolean) => {
    timer.cancel();
    ws.off('error', onError);
    ws.on('error', () => {});
    const checked = checkHello(data, isBinary, config);
    if (!checked.ok) return refuse(checked.closeCode, checked.reason);
    const { nodeId, role, listenUrl, incarnation } = config;
    const welcome: HandshakeEnvelope = {
      kind: 'welcome',
      proto: protocolVersion,
      nodeId,
      role,
      listenUrl,
      incarnation,
    };
    ws.send(encodeWholeFrame([toWire(welcome)]));
    onAccepted(checked.peer);
  });
}
