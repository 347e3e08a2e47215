// The short chaos suite CI runs, shared by its test files: one nemesis at a time for about
// 20 s against a proxied three-node cluster behind two balancers, ending with every check:
// linearizable, versions never go back, no acknowledged write lost.
import { expect } from 'vitest';
import { stopAll } from '../harness/processes.js';
import type { NemesisKind } from './nemesis.js';
import { runChaos } from './run-chaos.js';

export const suiteTimeoutMs = 150_000;

export async function runNemesisSuite(kind: NemesisKind, seed: number): Promise<void> {
  try {
    const { report } = await runChaos({
      timeS: 20,
      nemesis: [kind],
      clients: 4,
      nodes: 3,
      balancers: 2,
      seed,
      // Short gaps, so that three faults fit in 20 s even when a restart takes 3 s.
      downMs: 2_000,
      gapMs: 1_500,
      hotKeys: 3,
      coldKeys: 8,
      requestTimeoutMs: 5_000,
      outDir: null,
      command: `vitest chaos ${kind}`,
    });
    const { checks, counts } = report;
    expect(report.faults.length).toBeGreaterThanOrEqual(3);
    expect(checks.linearizable, checks.detail ?? '').toBe('ok');
    expect(checks.versionOrderViolations).toEqual([]);
    expect(checks.lostWrites).toEqual([]);
    expect(counts.ok).toBeGreaterThan(0);
    const rows = report.availability.map(
      (r) => `${r.kind} ${((r.overall.ratio ?? 1) * 100).toFixed(1)}%`,
    );
    const maxMs = report.latency[0]?.maxMs ?? null;
    console.log(
      `chaos ${kind}: ${report.faults.length} faults, ${counts.ok} ok, ${counts.info} unknown, ` +
        `longest wait ${maxMs === null ? '-' : maxMs.toFixed(0)} ms, ` +
        `checked in ${checks.checkMs.toFixed(0)} ms; availability ${rows.join(', ')}`,
    );
  } finally {
    await stopAll();
  }
}
