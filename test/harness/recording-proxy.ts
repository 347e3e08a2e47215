// A WebSocket proxy that records every frame the dialling side sends, for replay tests: put
// it between a genuine dialler and an acceptor, let the handshake succeed through it, then
// send the recorded frames on a fresh connection of your own.
import { WebSocket, WebSocketServer } from 'ws';

export interface RecordingProxy {
  readonly url: string;
  /** Frames from the dialler, in order, over all connections. */
  readonly sent: Buffer[];
  close(): void;
}

export async function recordingProxy(target: string): Promise<RecordingProxy> {
  const sent: Buffer[] = [];
  const sockets: WebSocket[] = [];
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (client) => {
    const upstream = new WebSocket(target);
    sockets.push(client, upstream);
    const queued: Buffer[] = [];
    upstream.once('open', () => {
      for (const data of queued.splice(0)) upstream.send(data);
    });
    upstream.on('error', () => client.terminate());
    client.on('message', (data: Buffer) => {
      sent.push(data);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data);
      else queued.push(data);
    });
    upstream.on('message', (data: Buffer) => client.send(data));
    upstream.on('close', () => client.terminate());
    client.on('close', () => upstream.terminate());
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `ws://127.0.0.1:${port}`,
    sent,
    close: () => {
      for (const socket of sockets) socket.terminate();
      server.close();
    },
  };
}
