// The short chaos suite CI runs: the workload through two balancers of a real three-node
// cluster while one nemesis works on the nodes — SIGKILL and restart, then SIGSTOP and
// SIGCONT — for about 20 s each; every run must end linearizable, with versions that never go
// back and no acknowledged write lost.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { stopAll } from '../harness/processes.js';
import { kvModel } from '../sim/checkers/kv-model.js';
import { checkLinearizable } from '../sim/checkers/linearizability.js';
import { Nemesis, type NemesisKind } from './nemesis.js';
import { forLinearizability, lostWrites, versionOrderViolations } from './real-versions.js';
import { runWorkload } from './workload.js';

let cluster: TestCluster;
let balancers: TestBalancers;

beforeEach(async () => {
  cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  balancers = await TestBalancers.create(cluster, 2);
  await balancers.startAll();
}, 60_000);

afterEach(async () => {
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
});

describe.each(['kill', 'pause'] as NemesisKind[])('nemesis %s', (kind) => {
  test('linearizable, versions never go back, no acknowledged write lost', async () => {
    const nemesis = new Nemesis(cluster, { kind, downMs: 2_000, gapMs: 2_000 });
    nemesis.start();
    let result: Awaited<ReturnType<typeof runWorkload>>;
    try {
      result = await runWorkload({
        balancers: balancers.urls,
        clients: 4,
        hotKeys: 3,
        coldKeys: 5,
        durationMs: 18_000,
        seed: kind === 'kill' ? 11 : 12,
        requestTimeoutMs: 10_000,
      });
    } finally {
      await nemesis.stop();
    }
    expect(nemesis.windows.length).toBeGreaterThanOrEqual(3);
    const verdict = checkLinearizable(forLinearizability(result.events), kvModel);
    expect(verdict.ok, JSON.stringify(verdict).slice(0, 2_000)).toBe(true);
    expect(versionOrderViolations(result.events)).toEqual([]);
    expect(lostWrites(result.events, result.finalReads)).toEqual([]);
    const oks = result.events.filter((e) => e.type === 'ok').length;
    console.log(`nemesis ${kind}: ${nemesis.windows.length} faults, ${oks} operations ok`);
  }, 120_000);
});
