// The WebSocket transport: one listener, one link per dialled URL, and at most one connection
// per peer node used in both directions. When both sides dial at once, both keep the
// connection dialled by the smaller node id, so they agree without talking about it. Given an
// httpHandler, the listener also answers plain HTTP on the same port (a node's metrics).
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { type WebSocket, WebSocketServer } from 'ws';
import { assert } from '../assert.js';
import { NonceCache } from '../auth/nonce-cache.js';
import type { SecretKey } from '../auth/secret.js';
import type { PhiAccrualOptions } from '../detect/phi-accrual.js';
import { OverloadedError, PeerUnavailableError, SystemStoppedError } from '../errors.js';
import type { RuntimeLimits } from '../limits.js';
import type { Logger } from '../log.js';
import type { BackoffPolicy } from '../time/backoff.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { Rng } from '../time/rng.js';
import { CloseCode } from '../wire/close-codes.js';
import type { Envelope } from '../wire/envelope.js';
import { guardListener, type ListenerGuardStats } from './address-limiter.js';
import { Connection } from './connection.js';
import { acceptHandshake, dialHandshake, type HandshakeConfig } from './handshake.js';
import { Link } from './link.js';
import {
  asTlsError,
  dialTlsOptions,
  dialUrlFor,
  listenTlsOptions,
  type TlsMaterial,
} from './tls.js';
import type {
  HttpHandler,
  OutboundQueueInfo,
  PeerInfo,
  Transport,
  TransportHandler,
} from './transport.js';

export interface WsTransportOptions {
  nodeId: string;
  role: string;
  /** Accept connections here; omit for a system that only dials out. Port 0 picks one. */
  listen: { host: string; port: number } | undefined;
  /** The cluster secret every handshake proves and requires; null = none (loopback dev). */
  secret: SecretKey | null;
  limits: RuntimeLimits;
  clock: Clock;
  rng: Rng;
  logger: Logger;
  phi: Partial<PhiAccrualOptions>;
  heartbeatIntervalMs: number;
  handshakeTimeoutMs: number;
  reconnectBackoff: BackoffPolicy;
  /**
   * Answers plain HTTP requests on the listen port (metrics, health); without one, ws answers
   * them with 426 Upgrade Required.
   */
  httpHandler?: HttpHandler | undefined;
  /** Listen on wss:// and dial every ws:// URL as wss:// (tls.ts). */
  tls?: TlsMaterial | undefined;
}

export class WsTransport implements Transport {
  readonly nodeId: string;
  private readonly incarnation = randomBytes(8).toString('hex');
  /** Handshake nonces seen by this process, so none is accepted twice (replays). */
  private readonly nonces = new NonceCache();
  private readonly connections = new Map<string, Connection>();
  private readonly links = new Map<string, Link>();
  private server: WebSocketServer | undefined;
  /** Set whenever we listen (the guard needs it): ws does not close a server it was given. */
  private httpServer: HttpServer | HttpsServer | undefined;
  private url: string | null = null;
  private handler: TransportHandler | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private lastHeartbeatTickMs = 0;
  private pendingHandshakes = 0;
  /** Sockets the listener guard refused (per-address limit, slow upgrade). */
  guardStats: ListenerGuardStats | undefined;
  private stopped = false;

  constructor(private readonly options: WsTransportOptions) {
    this.nodeId = options.nodeId;
  }

  async start(handler: TransportHandler): Promise<void> {
    assert(this.handler === undefined, 'transport started twice');
    this.handler = handler;
    if (this.options.listen) await this.listen(this.options.listen);
    this.lastHeartbeatTickMs = this.options.clock.nowMs();
    this.scheduleHeartbeat();
  }

  listenUrl(): string | null {
    return this.url;
  }

  connect(url: string, timeoutMs: number): Promise<string> {
    if (this.stopped) return Promise.reject(new SystemStoppedError('transport is closed'));
    let link = this.links.get(url);
    if (!link) {
      if (this.links.size >= this.options.limits.linksMax) {
        return Promise.reject(new OverloadedError(`already linked to ${this.links.size} URLs`));
      }
      link = this.createLink(url);
      this.links.set(url, link);
      link.start();
    }
    return link.whenConnected(timeoutMs);
  }

  send(nodeId: string, envelope: Envelope, onError?: (error: Error) => void): void {
    const connection = this.connections.get(nodeId);
    if (!connection) throw new PeerUnavailableError(`no connection to node ${nodeId}`);
    connection.outbound.enqueue(envelope, onError);
  }

  isConnected(nodeId: string): boolean {
    return this.connections.has(nodeId);
  }

  peers(): PeerInfo[] {
    return [...this.connections.values()].map((c) => c.peer);
  }

  whenWritable(nodeId: string): Promise<void> {
    return this.connections.get(nodeId)?.outbound.whenWritable() ?? Promise.resolve();
  }

  outboundQueues(): OutboundQueueInfo[] {
    return [...this.connections.values()].map((c) => ({
      nodeId: c.peer.nodeId,
      queuedMessages: c.outbound.queued,
      bufferedBytes: c.outbound.bufferedBytes,
    }));
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.heartbeatTimer?.cancel();
    for (const link of this.links.values()) link.stop();
    for (const connection of [...this.connections.values()]) {
      connection.close(CloseCode.normal, 'shutting down');
    }
    const http = this.httpServer;
    // ws stops relaying the HTTP server's errors when it closes; one must not go unheard.
    http?.on('error', (error) => this.options.logger.debug({ err: error }, 'listener error'));
    const server = this.server;
    if (server) {
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (http?.listening) {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // A scraper's keep-alive connection would hold close() open until it times out.
      http.closeAllConnections();
      await closed;
    }
  }

  private handshakeConfig(): HandshakeConfig {
    const { nodeId, role, secret, limits, clock, handshakeTimeoutMs } = this.options;
    const { incarnation, url: listenUrl } = this;
    return {
      nodeId,
      role,
      secret,
      nonces: this.nonces,
      limits,
      clock,
      listenUrl,
      incarnation,
      timeoutMs: handshakeTimeoutMs,
      dialTls: dialTlsOptions(this.options.tls),
    };
  }

  private listen(address: { host: string; port: number }): Promise<void> {
    const maxPayload = this.options.limits.frameBytesMax;
    const http = this.createHttpServer();
    if (http !== undefined) this.guardStats = this.guard(http);
    // With an HTTP server, ws hooks its 'upgrade' and relays its 'listening' and 'error'.
    const server =
      http === undefined
        ? new WebSocketServer({ ...address, maxPayload, perMessageDeflate: false })
        : new WebSocketServer({ server: http, maxPayload, perMessageDeflate: false });
    http?.listen(address.port, address.host);
    this.server = server;
    server.on('connection', (ws) => this.onInbound(ws));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        server.on('error', (error) => this.options.logger.error({ err: error }, 'listener error'));
        const bound = server.address();
        assert(typeof bound === 'object' && bound !== null, 'listener has an address');
        const scheme = this.options.tls === undefined ? 'ws' : 'wss';
        this.url = `${scheme}://${formatHost(address.host)}:${bound.port}`;
        resolve();
      });
    });
  }

  private guard(http: HttpServer | HttpsServer): ListenerGuardStats {
    const { limits, handshakeTimeoutMs, logger } = this.options;
    return guardListener(http, {
      connectionsPerAddressMax: limits.connectionsPerAddressMax,
      connectionRatePerAddressPerS: limits.connectionRatePerAddressPerS,
      upgradeTimeoutMs: handshakeTimeoutMs,
      logger,
    });
  }

  private createHttpServer(): HttpServer | HttpsServer | undefined {
    const { httpHandler: handler, tls, logger } = this.options;
    // Always our own server, even without a handler: the listener guard needs its sockets.
    const onRequest: HttpHandler = (req, res) => {
      // What ws answers plain HTTP with when it owns the server.
      if (handler === undefined) return upgradeRequired(res);
      try {
        handler(req, res);
      } catch (error) {
        // A throwing handler must cost one request, not the process.
        logger.error({ err: error, url: req.url }, 'http handler threw');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end();
      }
    };
    const http =
      tls === undefined
        ? createServer(onRequest)
        : createHttpsServer(listenTlsOptions(tls), onRequest);
    if (tls !== undefined) this.logTlsRefusals(http as HttpsServer);
    http.on('clientError', (error, socket) => {
      logger.debug({ err: error }, 'bad HTTP request');
      socket.destroy();
    });
    this.httpServer = http;
    return http;
  }

  /**
   * A dialer that fails the TLS handshake (no certificate or an untrusted one under mutual
   * TLS, plain ws://) costs one log line, at warn for the first in a while and at debug after
   * that, so a scanner cannot flood the log; Node has already closed its socket.
   */
  private logTlsRefusals(server: HttpsServer): void {
    let quietUntilMs = 0;
    server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
      const nowMs = this.options.clock.nowMs();
      const level = nowMs >= quietUntilMs ? 'warn' : 'debug';
      if (level === 'warn') quietUntilMs = nowMs + 10_000;
      const from = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      // An untrusted client certificate is dropped without an error of its own: the reason is
      // on the socket.
      const reason = String(socket.authorizationError ?? error.code ?? error.message);
      this.options.logger[level]({ from, reason, err: error.message }, 'TLS handshake refused');
    });
  }

  private onInbound(ws: WebSocket): void {
    if (this.stopped) return ws.terminate();
    if (this.pendingHandshakes >= this.options.limits.pendingHandshakesMax) {
      this.options.logger.warn('too many pending handshakes; refusing a connection');
      return ws.close(CloseCode.tryAgainLater, 'too many pending handshakes');
    }
    this.pendingHandshakes++;
    let counted = true;
    const uncount = (): void => {
      if (counted) this.pendingHandshakes--;
      counted = false;
    };
    ws.once('close', uncount);
    acceptHandshake(ws, this.handshakeConfig(), this.options.logger, (peer) => {
      uncount();
      this.adopt(ws, peer, peer.nodeId);
    });
  }

  private createLink(url: string): Link {
    const { clock, rng, reconnectBackoff, logger } = this.options;
    return new Link(url, {
      dial: (target) => {
        const dialled = dialUrlFor(target, this.options.tls);
        return dialHandshake(dialled, this.handshakeConfig(), (ws, peer) => {
          this.adopt(ws, peer, this.nodeId);
        }).catch((error: unknown) => {
          throw asTlsError(error, dialled);
        });
      },
      isConnected: (nodeId) => this.connections.has(nodeId),
      clock,
      rng,
      backoff: reconnectBackoff,
      logger,
    });
  }

  private adopt(ws: WebSocket, peer: PeerInfo, dialledBy: string): void {
    const { limits, clock, phi } = this.options;
    const logger = this.options.logger.child({ peer: peer.nodeId });
    const connection = new Connection(ws, peer, dialledBy, {
      limits,
      logger,
      clock,
      phi,
      hooks: {
        onEnvelope: (from, envelope, mayDefer) =>
          this.handler?.onEnvelope(from, envelope, mayDefer) ?? true,
        onClosed: (closed, code, reason) => this.onClosed(closed, code, reason),
      },
    });
    if (this.stopped) return connection.close(CloseCode.goingAway, 'shutting down');
    this.register(connection);
  }

  private register(connection: Connection): void {
    const { nodeId, incarnation } = connection.peer;
    const existing = this.connections.get(nodeId);
    if (existing && existing.peer.incarnation === incarnation) {
      if (existing.dialledBy !== connection.dialledBy)
        return this.resolveDuplicate(existing, connection);
    }
    if (existing) {
      // A new incarnation, or the same dialler again: the old socket is stale.
      this.connections.delete(nodeId);
      existing.close(CloseCode.duplicate, 'superseded by a newer connection');
      this.handler?.onPeerDown(nodeId, 'superseded by a newer connection');
    }
    this.connections.set(nodeId, connection);
    this.handler?.onPeerUp(connection.peer);
  }

  private resolveDuplicate(existing: Connection, challenger: Connection): void {
    // biome-ignore lint/complexity/useMathMinMax: node ids are strings, compared as strings
    const keeperDialler = this.nodeId < existing.peer.nodeId ? this.nodeId : existing.peer.nodeId;
    if (existing.dialledBy === keeperDialler) {
      challenger.close(CloseCode.duplicate, 'duplicate connection');
      return;
    }
    this.connections.set(existing.peer.nodeId, challenger);
    existing.handOverTo(challenger);
    existing.close(CloseCode.duplicate, 'duplicate connection');
  }

  redialNow(nodeId: string): void {
    if (this.stopped) return;
    for (const link of this.links.values()) if (link.nodeId === nodeId) link.hurry();
  }

  private onClosed(connection: Connection, code: number, reason: string): void {
    const nodeId = connection.peer.nodeId;
    if (this.connections.get(nodeId) !== connection) return;
    this.connections.delete(nodeId);
    this.options.logger.debug({ peer: nodeId, closeCode: code, reason }, 'peer connection closed');
    this.handler?.onPeerDown(nodeId, reason || `closed with code ${code}`);
    if (this.stopped) return;
    for (const link of this.links.values()) if (link.nodeId === nodeId) link.peerDown();
  }

  private scheduleHeartbeat(): void {
    if (this.stopped) return;
    this.heartbeatTimer = this.options.clock.setTimer(this.options.heartbeatIntervalMs, () => {
      this.heartbeatTick();
      this.scheduleHeartbeat();
    });
  }

  private heartbeatTick(): void {
    const nowMs = this.options.clock.nowMs();
    // If our own loop was blocked, the peers' heartbeats are sitting unread in the socket:
    // judging them now would blame the peer for our pause.
    const ownLagMs = nowMs - this.lastHeartbeatTickMs - this.options.heartbeatIntervalMs;
    this.lastHeartbeatTickMs = nowMs;
    const judge = ownLagMs < this.options.heartbeatIntervalMs;
    const idleMs = this.options.limits.idleTimeoutMs;
    for (const connection of [...this.connections.values()]) {
      connection.outbound.enqueue(heartbeat, undefined, true);
      const silentMs = connection.silentMs(nowMs);
      if (judge && silentMs > idleMs) {
        this.options.logger.warn({ peer: connection.peer.nodeId, silentMs }, 'peer idle');
        connection.close(CloseCode.idle, `no complete message for ${silentMs} ms`);
        continue;
      }
      const phi = connection.detector.phi(nowMs);
      if (judge && connection.isReceiving && phi > connection.detector.threshold) {
        this.options.logger.warn({ peer: connection.peer.nodeId, phi }, 'peer suspected');
        connection.close(CloseCode.suspected, `no heartbeat (phi ${phi.toFixed(1)})`);
      }
    }
  }
}

const heartbeat: Envelope = { kind: 'heartbeat' };

function upgradeRequired(res: Parameters<HttpHandler>[1]): void {
  res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
  res.end('Upgrade Required');
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
