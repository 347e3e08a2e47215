// The balancer's `health` actor over a real connection: a beat is believed only about the node
// whose connection it came over (the sender ref's node); a beat naming another node, or sent
// without a sender, is dropped and logged at most once per sender every 10 s; a malformed beat
// never reaches the balancer.
import type { NodeHeartbeat } from '@troupe/client/protocol';
import { ActorSystem, silentLogger } from '@troupe/runtime';
import { pino } from 'pino';
import { afterEach, expect, test } from 'vitest';
import { healthEndpoint } from '../src/cluster/health-endpoint.js';

const systems: ActorSystem[] = [];

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeoutMs: 500 })));
});

function beat(nodeId: string, seq: number): NodeHeartbeat {
  return {
    type: 'nodeHeartbeat',
    nodeId,
    zone: 'zone-a',
    url: null,
    configVersion: 1,
    seq,
    groups: [['s0', 'leader', 2, nodeId, 5, 5]],
  };
}

async function setup() {
  const received: NodeHeartbeat[] = [];
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  let nowMs = 0;
  const balancer = await ActorSystem.start({
    nodeId: 'b1',
    role: 'balancer',
    listen: { port: 0 },
    logger: silentLogger(),
  });
  balancer.spawn('health', () =>
    healthEndpoint(
      (b) => received.push(b),
      logger,
      () => nowMs,
    ),
  );
  const node = await ActorSystem.start({ nodeId: 'n1', role: 'node', logger: silentLogger() });
  systems.push(node, balancer);
  node.spawn('admin', () => ({ receive: () => undefined }));
  await node.connect(balancer.listenUrl as string);
  const health = node.ref('b1', 'health');
  const sender = node.ref('n1', 'admin');
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
  return { received, warnings, health, sender, settle, advance: (ms: number) => (nowMs += ms) };
}

test('a beat about the node it came from is delivered', async () => {
  const s = await setup();
  s.health.tell(beat('n1', 1), s.sender);
  await s.settle();
  expect(s.received.map((b) => b.nodeId)).toEqual(['n1']);
  expect(s.warnings).toEqual([]);
});

test('a beat naming another node, or without a sender, is dropped and logged', async () => {
  const s = await setup();
  s.health.tell(beat('n2', 1), s.sender);
  s.health.tell(beat('n1', 2));
  await s.settle();
  expect(s.received).toEqual([]);
  expect(s.warnings.map((line) => JSON.parse(line).claimed)).toEqual(['n2', 'n1']);
  expect(JSON.parse(s.warnings[0] as string)).toMatchObject({
    from: 'n1',
    msg: 'heartbeat about another node dropped',
  });
});

test('the warning for one sender is logged at most once every 10 s', async () => {
  const s = await setup();
  for (let i = 1; i <= 5; i++) s.health.tell(beat('n9', i), s.sender);
  await s.settle();
  expect(s.warnings).toHaveLength(1);
  s.advance(10_000);
  s.health.tell(beat('n9', 6), s.sender);
  await s.settle();
  expect(s.warnings).toHaveLength(2);
});

test('a malformed beat never reaches the balancer', async () => {
  const s = await setup();
  s.health.tell({ ...beat('n1', 1), groups: [['s0', 'leader', -1, null, 0, 0]] }, s.sender);
  s.health.tell({ type: 'nodeHeartbeat', nodeId: 'n1' }, s.sender);
  await s.settle();
  expect(s.received).toEqual([]);
});
