// Sending side of the runtime benchmark: remote tell throughput, then ask round trips with 1
// and with 64 in flight. Prints one JSON result line per scenario.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ActorSystem, createLogger } from '../src/index.js';
import { emit, measureRoundTrips, payload } from './payload.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    tells: { type: 'string', default: '2000000' },
    asks: { type: 'string', default: '20000' },
  },
});

const system = await ActorSystem.start({
  nodeId: 'sender',
  logger: createLogger({ level: 'warn' }),
});
const receiver = await system.connect(values.url ?? '');
const sink = system.ref<unknown, number>(receiver, 'sink');
const burst = 1_000;

async function tellThroughput(total: number): Promise<void> {
  const before = await sink.ask('count');
  const startMs = performance.now();
  for (let sent = 0; sent < total; ) {
    const end = Math.min(total, sent + burst);
    for (; sent < end; sent++) sink.tell(payload(sent));
    await system.whenWritable(receiver);
  }
  const count = await sink.ask('count', { timeoutMs: 60_000 });
  const elapsedMs = performance.now() - startMs;
  if (count - before !== total) throw new Error(`sink counted ${count - before} of ${total}`);
  emit({ scenario: 'runtime tell', messages: total, msgsPerSec: (total / elapsedMs) * 1_000 });
}

function askRoundTrips(total: number, inFlight: number): Promise<void> {
  return measureRoundTrips(`runtime ask x${inFlight}`, total, inFlight, () => sink.ask('count'));
}

const tells = Number(values.tells);
const asks = Number(values.asks);
await tellThroughput(Math.min(tells, 100_000)); // warm-up: JIT and socket buffers
await tellThroughput(tells);
await askRoundTrips(Math.min(asks, 2_000), 1); // warm-up
await askRoundTrips(asks, 1);
await askRoundTrips(asks * 5, 64);
await system.shutdown();
process.exit(0);
