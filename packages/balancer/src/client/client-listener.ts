// One port for everything a balancer serves: HTTP requests go to the HTTP routes, WebSocket
// upgrades (any path) become client connections, at most `connectionsMax` at once (one more
// is accepted only to be closed with 1013 and a reason, so the client knows to go elsewhere).
// Before any of that, the listener guard (runtime address-limiter.ts) bounds sockets per remote
// address and the time to a complete upgrade request; after the hello, a sweep closes idle
// connections.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ClientCloseCode } from '@troupe/client/protocol';
import { type Logger, listenTlsOptions, type TlsMaterial } from '@troupe/runtime';
import { guardListener, type ListenerGuardStats } from '@troupe/runtime/internal';
import { type WebSocket, WebSocketServer } from 'ws';
import { ClientConnection, type ClientConnectionDeps } from './client-connection.js';

/** How often idle connections are looked for; an idle close comes at most this late. */
const idleSweepMs = 250;

export interface ClientListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly frameBytesMax: number;
  readonly connectionsMax: number;
  /** Open sockets per remote address (address-limiter.ts); the next gets HTTP 503. */
  readonly connectionsPerAddressMax: number;
  /** New sockets read per second per remote address; the rest wait unread. */
  readonly connectionRatePerAddressPerS?: number;
  /** TCP accept to a complete upgrade request (slowloris), the same as the hello timeout. */
  readonly upgradeTimeoutMs: number;
  /** wss:// and https:// on the port (HTTP routes included); absent: ws:// and http://. */
  readonly tls?: TlsMaterial | undefined;
}

export class ClientListener {
  private readonly server: Server | HttpsServer;
  private readonly wss: WebSocketServer;
  readonly connections = new Set<ClientConnection>();
  /** Sockets refused before any WebSocket existed (per-address limit, slow upgrade). */
  readonly guardStats: ListenerGuardStats;
  private readonly idleSweep: NodeJS.Timeout;

  constructor(
    private readonly options: ClientListenerOptions,
    private readonly deps: ClientConnectionDeps,
    onHttp: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly logger: Logger,
  ) {
    this.server =
      options.tls === undefined
        ? createServer(onHttp)
        : createHttpsServer(listenTlsOptions(options.tls), onHttp);
    if (options.tls !== undefined) logTlsRefusals(this.server as HttpsServer, logger);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.frameBytesMax,
      perMessageDeflate: false,
    });
    this.guardStats = guardListener(this.server, {
      connectionsPerAddressMax: options.connectionsPerAddressMax,
      ...(options.connectionRatePerAddressPerS === undefined
        ? {}
        : { connectionRatePerAddressPerS: options.connectionRatePerAddressPerS }),
      upgradeTimeoutMs: options.upgradeTimeoutMs,
      logger,
      onRefused: (why) => deps.hooks.rejected(why),
    });
    // One sweep for every connection: a timer per socket, reset per message, would cost more.
    this.idleSweep = setInterval(() => {
      const nowMs = performance.now();
      for (const connection of this.connections) connection.checkIdle(nowMs);
    }, idleSweepMs);
    this.idleSweep.unref();
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (error, socket) => {
      logger.debug({ err: error }, 'bad HTTP request');
      socket.destroy();
    });
  }

  /** Listens; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  }

  get inflight(): number {
    let total = 0;
    for (const connection of this.connections) total += connection.inflightCount;
    return total;
  }

  async close(): Promise<void> {
    clearInterval(this.idleSweep);
    for (const connection of this.connections) {
      connection.close(ClientCloseCode.goingAway, 'balancer shutting down');
    }
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.logger.debug({ err: error }, 'client socket error'));
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (this.connections.size >= this.options.connectionsMax) {
        this.logger.warn({ connections: this.connections.size }, 'client connection refused');
        this.deps.hooks.rejected(`close ${ClientCloseCode.tryAgainLater}`);
        ws.close(ClientCloseCode.tryAgainLater, 'too many client connections');
        return;
      }
      const connection = new ClientConnection(ws, this.deps);
      this.connections.add(connection);
      ws.once('close', () => this.connections.delete(connection));
    });
  }
}

/**
 * A client that fails the TLS handshake (plain ws://, an untrusted or missing certificate
 * under --client-tls-ca) costs one line: warn for the first in 10 s, debug for the rest, so a
 * scanner cannot flood the log. Node has already closed the socket.
 */
function logTlsRefusals(server: HttpsServer, logger: Logger): void {
  let quietUntilMs = 0;
  server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    const nowMs = performance.now();
    const level = nowMs >= quietUntilMs ? 'warn' : 'debug';
    if (level === 'warn') quietUntilMs = nowMs + 10_000;
    const reason = String(socket.authorizationError ?? error.code ?? error.message);
    const from = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    logger[level]({ from, reason, err: error.message }, 'client TLS handshake refused');
  });
}
