// The chaos pipeline end to end without faults, as the baseline the nemeses will be added to:
// four SDK clients run the mixed workload on hot and cold keys through a balancer of a real
// three-node cluster for a few seconds, and the recorded history passes every check —
// linearizable values, versions that never go back, every acknowledged write in the final
// reads — with CAS conflicts and overlapping operations in it.
import { expect, test } from 'vitest';
import { useClusterAndBalancers } from '../harness/use-cluster.js';
import { kvModel } from '../sim/checkers/kv-model.js';
import { checkLinearizable } from '../sim/checkers/linearizability.js';
import { forLinearizability, lostWrites, versionOrderViolations } from './real-versions.js';
import { runWorkload } from './workload.js';

const env = useClusterAndBalancers({ size: 3, balancers: 1 });

test('a fault-free run of the workload passes every check', async () => {
  const result = await runWorkload({
    balancers: env.balancers.urls,
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
