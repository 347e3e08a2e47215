// Receiving side of the runtime benchmark: one system with a `sink` actor that counts tells
// and answers asks with a small reply.
import { type Actor, ActorSystem, createLogger } from '../src/index.js';
import { emit } from './payload.js';

const system = await ActorSystem.start({
  nodeId: 'receiver',
  listen: { port: 0 },
  logger: createLogger({ level: 'warn' }),
});

system.spawn('sink', (): Actor<unknown, number> => {
  let count = 0;
  return {
    receive(message) {
      if (message === 'count') return count;
      count++;
      return count;
    },
  };
});

emit({ event: 'ready', url: system.listenUrl });
process.once('SIGTERM', () => void system.shutdown().then(() => process.exit(0)));
