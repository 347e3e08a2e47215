// One port for everything a balancer serves: HTTP requests go to the HTTP routes, WebSocket
// upgrades (any path) become client connections, at most `connectionsMax` at once (one more
// is accepted only to be closed with 1013 and a reason, so the client knows to go elsewhere).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ClientCloseCode } from '@troupe/client/protocol';
import type { Logger } from '@troupe/runtime';
import { type WebSocket, WebSocketServer } from 'ws';
import { ClientConnection, type ClientConnectionDeps } from './client-connection.js';

export interface ClientListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly frameBytesMax: number;
  readonly connectionsMax: number;
}

export class ClientListener {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  readonly connections = new Set<ClientConnection>();

  constructor(
    private readonly options: ClientListenerOptions,
    private readonly deps: ClientConnectionDeps,
    onHttp: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly logger: Logger,
  ) {
    this.server = createServer(onHttp);
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.frameBytesMax,
      perMessageDeflate: false,
    });
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
