// The chaos pipeline end to end without faults, as the baseline the nemeses will be added to:
// four SDK clients run the mixed workload on hot and cold keys through a balancer of a real
// three-node cluster for a few seconds, and the recorded history passes every check —
// linearizable values, versions that never go back, every acknowledged write in the final
// reads — with CAS conflicts and overlapping operations in it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { stopAll } from '../harness/processes.js';
import { kvModel } from '../sim/checkers/kv-model.js';
import { checkLinearizable } from '../sim/checkers/linearizability.js';
import { forLinearizability, lostWrites, versionOrderViolations } from './real-versions.js';
import { runWorkload } from './workload.js';

let cluster: TestCluster;
let balancers: TestBalancers;

beforeAll(async () => {
  cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  balancers = await TestBalancers.create(cluster, 1);
  await balancers.startAll();
}, 60_000);

afterAll(async () => {
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
});

test('a fault-free run of the workload passes every check', async () => {
  const result = await runWorkload({
    balancers: balancers.urls,
    clients: 4,
    hotKeys: 3,
    coldKeys: 5,
    durationMs: 4_000,
    seed: 7,
  });
  const completions = result.events.filter((e) => e.type !== 'invoke');
  expect(completions.length).toBeGreaterThan(100);
  // The hot keys make CAS conflicts and failed creates happen: the checks see both outcomes.
  expect(completions.some((e) => e.type === 'fail' && e.error === 'VersionConflict')).toBe(true);
  expect(completions.some((e) => e.type === 'fail' && e.error === 'AlreadyExists')).toBe(true);
  const verdict = checkLinearizable(forLinearizability(result.events), kvModel);
  expect(verdict.ok, JSON.stringify(verdict).slice(0, 2_000)).toBe(true);
  expect(versionOrderViolations(result.events)).toEqual([]);
  expect(lostWrites(result.events, result.finalReads)).toEqual([]);
}, 60_000);
