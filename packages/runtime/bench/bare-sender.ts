// Baseline sender: bare ws + msgpackr, one message per frame and batched (an array of up to
// 1,000 messages per frame, flushed per event-loop turn like the runtime does).

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pack, unpack } from 'msgpackr';
import { WebSocket } from 'ws';
import { emit, measureRoundTrips, payload } from './payload.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    messages: { type: 'string', default: '2000000' },
    asks: { type: 'string', default: '20000' },
  },
});
const ws = new WebSocket(values.url ?? '', { perMessageDeflate: false });
await new Promise((resolve) => ws.once('open', resolve));
const highWaterBytes = 4 * 1024 * 1024;
const burst = 1_000;

function count(): Promise<number> {
  return new Promise((resolve) => {
    ws.once('message', (data: Buffer) => resolve(unpack(data) as number));
    ws.send(pack('count'));
  });
}

/** Waits until the socket has room, as the runtime's flush does. */
function writable(): Promise<void> {
  if (ws.bufferedAmount < highWaterBytes) return new Promise((r) => setImmediate(r));
  return new Promise((resolve) => {
    const check = (): void => {
      if (ws.bufferedAmount < highWaterBytes / 2) resolve();
      else setTimeout(check, 1);
    };
    check();
  });
}

async function run(total: number, batched: boolean): Promise<number> {
  const before = await count();
  const startMs = performance.now();
  for (let sent = 0; sent < total; ) {
    const end = Math.min(total, sent + burst);
    if (batched) {
      const batch = [];
      for (; sent < end; sent++) batch.push(payload(sent));
      ws.send(pack(batch));
    } else {
      for (; sent < end; sent++) ws.send(pack(payload(sent)));
    }
    await writable();
  }
  const after = await count();
  const elapsedMs = performance.now() - startMs;
  if (after - before !== total) throw new Error(`receiver counted ${after - before} of ${total}`);
  return (total / elapsedMs) * 1_000;
}

/** Request/response over the bare socket: one frame each way, matched by id. */
async function askRoundTrips(total: number, inFlight: number): Promise<void> {
  const waiting = new Map<number, () => void>();
  ws.on('message', (data: Buffer) => {
    const reply = unpack(data) as { ask?: number };
    if (typeof reply.ask === 'number') waiting.get(reply.ask)?.();
  });
  const roundTrip = (id: number): Promise<void> =>
    new Promise<void>((resolve) => {
      waiting.set(id, () => {
        waiting.delete(id);
        resolve();
      });
      ws.send(pack({ ask: id }));
    });
  await measureRoundTrips(`bare ask x${inFlight}`, total, inFlight, roundTrip);
  ws.removeAllListeners('message');
}

const total = Number(values.messages);
await run(Math.min(total, 100_000), true); // warm-up
emit({
  scenario: 'bare ws+msgpackr, batched',
  messages: total,
  msgsPerSec: await run(total, true),
});
await run(Math.min(total, 100_000), false); // warm-up
const single = Math.max(1, Math.floor(total / 4));
emit({
  scenario: 'bare ws+msgpackr, 1 per frame',
  messages: single,
  msgsPerSec: await run(single, false),
});
const asks = Number(values.asks);
await askRoundTrips(Math.min(asks, 2_000), 1); // warm-up
await askRoundTrips(asks, 1);
await askRoundTrips(asks * 5, 64);
ws.close();
process.exit(0);
