// A TCP proxy for tests that need a connection to die at an exact moment: it forwards bytes
// both ways between clients and one target, and once armed, the next bytes the target sends
// back are dropped and both sockets destroyed — a reply lost after the server acted on the
// request.
import { connect, createServer, type Server, type Socket } from 'node:net';

export class CutProxy {
  private armed = false;
  private readonly sockets = new Set<Socket>();
  /** Connections cut so far. */
  cuts = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<CutProxy> {
    let proxy: CutProxy | undefined;
    const server = createServer((client) => proxy?.forward(client, targetHost, targetPort));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
    proxy = new CutProxy(server, address.port);
    return proxy;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** The next bytes from the target are dropped and that connection is cut. */
  arm(): void {
    this.armed = true;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, host: string, port: number): void {
    const target = connect(port, host);
    this.sockets.add(client);
    this.sockets.add(target);
    const cut = (): void => {
      client.destroy();
      target.destroy();
    };
    client.on('data', (bytes) => target.write(bytes));
    target.on('data', (bytes) => {
      if (this.armed) {
        this.armed = false;
        this.cuts++;
        return cut();
      }
      client.write(bytes);
    });
    for (const socket of [client, target]) {
      socket.on('error', cut);
      socket.on('close', () => {
        this.sockets.delete(socket);
        cut();
      });
    }
  }
}
