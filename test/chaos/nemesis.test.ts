// The nemesis schedule against a fake cluster that records what was done to it: `all` and
// comma lists parse (and a typo is refused), node faults rotate their victims one at a time,
// balancer kills run on a lane of their own, each fault is recorded with who it made
// unreachable, and stop() undoes the fault in place at once.
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  Nemesis,
  type NemesisKind,
  NemesisSpecError,
  type NemesisTarget,
  nemesisKinds,
  parseNemeses,
} from './nemesis.js';

function fakeCluster(calls: string[]): NemesisTarget {
  const note =
    (name: string) =>
    (...args: unknown[]): Promise<void> => {
      calls.push(`${name} ${args.map((a) => JSON.stringify(a)).join(' ')}`.trim());
      return Promise.resolve();
    };
  const sync =
    (name: string) =>
    (...args: unknown[]): void => {
      void note(name)(...args);
    };
  return {
    nodeIds: ['n1', 'n2', 'n3'],
    balancerIds: ['b1', 'b2'],
    killNode: note('killNode'),
    startNode: note('startNode'),
    pauseNode: sync('pauseNode'),
    resumeNode: sync('resumeNode'),
    killBalancer: note('killBalancer'),
    startBalancer: note('startBalancer'),
    busiestLeader: () => Promise.resolve('n2'),
    network: {
      split: sync('split'),
      isolate: sync('isolate'),
      bridge: sync('bridge'),
      oneWay: sync('oneWay'),
      healAll: sync('healAll'),
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('parseNemeses', () => {
  test('all is every kind, none is nothing, a list keeps its order without repeats', () => {
    expect(parseNemeses('all')).toEqual([...nemesisKinds]);
    expect(parseNemeses('none')).toEqual([]);
    expect(parseNemeses('pause, kill,pause')).toEqual(['pause', 'kill']);
  });

  test('an unknown kind is refused with a typed error naming it and the choices', () => {
    expect(() => parseNemeses('kill,flood')).toThrow(NemesisSpecError);
    expect(() => parseNemeses('kill,flood')).toThrow(/unknown nemesis 'flood'; choose from kill/);
  });
});

/** Runs the nemesis for `ms` of fake time and stops it. */
async function runFor(kinds: NemesisKind[], ms: number, calls: string[]): Promise<Nemesis> {
  vi.useFakeTimers();
  const nemesis = new Nemesis(fakeCluster(calls), {
    kinds,
    downMs: 1_000,
    gapMs: 1_000,
    originMs: performance.now(),
  });
  nemesis.start();
  await vi.advanceTimersByTimeAsync(ms);
  await nemesis.stop();
  return nemesis;
}

test('node faults rotate over the nodes, one at a time, each undone', async () => {
  const calls: string[] = [];
  const nemesis = await runFor(['kill', 'pause'], 8_500, calls);
  expect(calls).toEqual([
    'killNode "n1"',
    'startNode "n1"',
    'pauseNode "n1"',
    'resumeNode "n1"',
    'killNode "n2"',
    'startNode "n2"',
    'pauseNode "n2"',
    // Stopped mid-fault: undone at once, not after downMs.
    'resumeNode "n2"',
  ]);
  expect(nemesis.finished().map((f) => [f.kind, f.target, f.nodesDown])).toEqual([
    ['kill', 'n1', ['n1']],
    ['pause', 'n1', ['n1']],
    ['kill', 'n2', ['n2']],
    ['pause', 'n2', ['n2']],
  ]);
  expect(nemesis.finished().every((f) => f.endMs >= f.startMs)).toBe(true);
});

test('partitions name their sides, and the leader kinds go for the busiest leader', async () => {
  const calls: string[] = [];
  const kinds: NemesisKind[] = [
    'partition-majority',
    'isolate-leader',
    'isolate-node',
    'bridge',
    'one-way',
  ];
  const nemesis = await runFor(kinds, 10_500, calls);
  expect(calls.filter((c) => !c.startsWith('healAll'))).toEqual([
    'split ["n1"] ["n2","n3"]',
    'split ["n2"] ["n1","n3"]',
    'isolate "n1"',
    'bridge ["n2"] "n1" ["n3"]',
    'oneWay "n2" "n1"',
    'oneWay "n2" "n3"',
  ]);
  expect(calls.filter((c) => c.startsWith('healAll'))).toHaveLength(5);
  expect(nemesis.finished().map((f) => [f.kind, f.target, f.nodesDown])).toEqual([
    ['partition-majority', 'n1 | n2 n3', ['n1']],
    ['isolate-leader', 'n2 | others (leader)', ['n2']],
    ['isolate-node', 'n1 | everyone', ['n1']],
    ['bridge', 'n2 | n1 | n3', []],
    ['one-way', 'n2 -> others lost', ['n2']],
  ]);
});

test('balancer kills run on their own lane, overlapping node faults', async () => {
  const calls: string[] = [];
  const nemesis = await runFor(['kill', 'kill-balancer'], 4_500, calls);
  const faults = nemesis.finished();
  const balancer = faults.filter((f) => f.kind === 'kill-balancer');
  const node = faults.filter((f) => f.kind === 'kill');
  expect(balancer.map((f) => [f.target, f.balancersDown])).toEqual([
    ['b1', ['b1']],
    ['b2', ['b2']],
  ]);
  expect(node.map((f) => f.target)).toEqual(['n1', 'n2']);
  // Half a fault later than the node lane: b1 goes down while n1 is down, and stays down after.
  const [n1, b1] = [node[0]!, balancer[0]!];
  expect(b1.startMs).toBeGreaterThan(n1.startMs);
  expect(b1.startMs).toBeLessThan(n1.endMs);
  expect(b1.endMs).toBeGreaterThan(n1.endMs);
});

test('a fault that cannot be applied stops the schedule and is thrown by stop()', async () => {
  vi.useFakeTimers();
  const cluster = fakeCluster([]);
  const nemesis = new Nemesis(
    { ...cluster, killNode: () => Promise.reject(new Error('no such process')) },
    { kinds: ['kill'], downMs: 1_000, gapMs: 1_000, originMs: 0 },
  );
  nemesis.start();
  await vi.advanceTimersByTimeAsync(1_500);
  await expect(nemesis.stop()).rejects.toThrow('no such process');
});
