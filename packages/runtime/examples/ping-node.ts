// One node of the two-node demo. It listens, hosts a `greeter` actor, and, when given a peer
// to dial, greets the peer's greeter, asks it a few pings, and says goodbye. Every step is
// printed as one human-readable line.
import { parseArgs } from 'node:util';
import { type Actor, ActorSystem, createLogger } from '../src/index.js';

const { values } = parseArgs({
  options: {
    id: { type: 'string', default: 'node-a' },
    port: { type: 'string', default: '0' },
    peer: { type: 'string' },
    pings: { type: 'string', default: '5' },
  },
});
const nodeId = values.id;

function say(line: string): void {
  process.stdout.write(`[${nodeId}] ${line}\n`);
}

type GreeterMessage =
  | { type: 'hello'; from: string }
  | { type: 'ping'; seq: number }
  | { type: 'bye'; from: string };

const system = await ActorSystem.start({
  nodeId,
  listen: { port: Number(values.port) },
  logger: createLogger({ level: process.env.TROUPE_LOG_LEVEL ?? 'warn' }),
});
say(`listening on ${system.listenUrl}`);

system.spawn(
  'greeter',
  (): Actor<GreeterMessage, unknown> => ({
    receive(message) {
      switch (message.type) {
        case 'hello':
          say(`greeter got a hello from ${message.from}`);
          return undefined;
        case 'ping':
          return { type: 'pong', seq: message.seq, by: nodeId };
        case 'bye':
          say(`greeter got a goodbye from ${message.from}; shutting down`);
          setTimeout(() => void system.shutdown().then(() => process.exit(0)), 50);
          return undefined;
      }
    },
  }),
);

system.onNodeUp((peer) => say(`connected to ${peer}`));
system.onNodeDown((peer, reason) => say(`lost ${peer} (${reason})`));
process.stdout.write(`${JSON.stringify({ event: 'ready', url: system.listenUrl })}\n`);

if (values.peer) {
  const peerId = await system.connect(values.peer);
  const greeter = system.ref<GreeterMessage>(peerId, 'greeter');
  greeter.tell({ type: 'hello', from: nodeId });
  say(`told ${peerId}'s greeter hello`);
  for (let seq = 1; seq <= Number(values.pings); seq++) {
    const startNs = process.hrtime.bigint();
    const pong = await greeter.ask({ type: 'ping', seq }, { timeoutMs: 2_000 });
    const micros = Number(process.hrtime.bigint() - startNs) / 1_000;
    say(`ask ping ${seq} -> ${JSON.stringify(pong)} in ${micros.toFixed(0)} µs`);
  }
  greeter.tell({ type: 'bye', from: nodeId });
  say('told the greeter goodbye');
  await new Promise((resolve) => setTimeout(resolve, 100));
  await system.shutdown();
  say('done');
  process.exit(0);
}
