// Baseline receiver: a bare ws server that msgpack-decodes every frame and counts messages.
// Asks (`{ ask: id }`) are echoed back at once. No actors, no validation: the floor the
// runtime is measured against.
import { pack, unpack } from 'msgpackr';
import { WebSocketServer } from 'ws';
import { emit } from './payload.js';

const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
let count = 0;
server.on('connection', (ws) => {
  ws.on('message', (data: Buffer) => {
    const value: unknown = unpack(data);
    if (Array.isArray(value)) count += value.length;
    else if (value === 'count') ws.send(pack(count));
    else if (typeof value === 'object' && value !== null && 'ask' in value) ws.send(data);
    else count++;
  });
});
server.once('listening', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  emit({ event: 'ready', url: `ws://127.0.0.1:${port}` });
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
