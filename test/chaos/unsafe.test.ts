// The chaos harness must catch a broken system, not only pass a sound one: a real three-node
// cluster behind two balancers started with `--unsafe-linearizable-reads-from-followers`
// (linearizable gets served by a follower from its local state, no ReadIndex) runs the
// workload under SIGSTOP/SIGCONT, and the harness must report a linearizability violation with
// a small failing window. Every get asks for linearizability, so the checker holds every read
// to it. Hot keys written by several clients at once make a read that misses an acknowledged
// write all but certain: a follower learns of a commit only on the leader's next append, and a
// resumed node serves reads before it catches up. The safe counterparts are nemeses-*.test.ts.
import { afterAll, expect, test } from 'vitest';
import { stopAll } from '../harness/processes.js';
import { runChaos } from './run-chaos.js';

afterAll(() => stopAll());

test('a linearizability violation is reported for follower-served linearizable gets', async () => {
  const { report, events } = await runChaos({
    timeS: 14,
    nemesis: ['pause'],
    clients: 6,
    nodes: 3,
    balancers: 2,
    seed: 13,
    downMs: 2_000,
    gapMs: 2_000,
    hotKeys: 2,
    coldKeys: 2,
    requestTimeoutMs: 10_000,
    staleReadFraction: 0,
    balancerArgs: ['--unsafe-linearizable-reads-from-followers'],
    outDir: null,
    command: 'vitest chaos unsafe',
  });
  expect(events.some((e) => e.stale === true)).toBe(false);
  const { checks } = report;
  expect(checks.linearizable).toBe('violation');
  const window = checks.failingWindow ?? [];
  expect(window.length).toBeGreaterThan(0);
  console.log(
    `unsafe follower reads: ${report.faults.length} pauses, ${report.counts.ok} operations ok; ` +
      `violation, smallest failing window ${window.length} operations:\n  ${window.join('\n  ')}`,
  );
}, 150_000);
