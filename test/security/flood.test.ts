// The must-show of issue 10's limits: while a separate attacker process floods the
// balancer's client port and a node's port with malformed, oversized, text and bogus-handshake
// frames (reconnecting each time it is closed) and trickles upgrade requests (slowloris), an
// honest closed-loop workload through the SDK stays linearizable with no acknowledged write
// lost, and its throughput during the flood stays at least half its undisturbed figure.
// Phases of equal length in one run, interleaved quiet / flood / quiet / flood / quiet so that
// drift cancels: the mean of the flood phases is compared with the mean of the quiet ones.
// Both figures are printed, with the attacker's close codes and each process's CPU.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkHistory } from '../chaos/checks.js';
import { finalProcess, runWorkload } from '../chaos/workload.js';
import { spawnTs } from '../harness/processes.js';
import { useClusterAndBalancers } from '../harness/use-cluster.js';
import type { HistoryEvent } from '../sim/checkers/history.js';

/** JIT, first elections' aftermath and connection set-up settle before the first phase. */
const warmupMs = 5_000;
const phaseMs = 2_000;
type Phase = 'quiet' | 'flood';
/**
 * Short and interleaved, so that drift (JIT warming up, other load on a shared box) hits
 * both kinds alike and cancels out of the comparison.
 */
const phases: readonly Phase[] = [
  ...Array.from({ length: 6 }, (): Phase[] => ['quiet', 'flood']).flat(),
  'quiet',
];
/**
 * Attack loops per port, each reconnecting the moment it is closed. Default limits: the
 * per-address rate (100 new sockets/s) is what keeps them from costing more than that.
 */
const loopsPerPort = 8;
const seed = 1010;
/** The balancer's client frame limit, lowered to its minimum so oversized frames are cheap. */
const frameBytesMax = 1024 * 1024;
/** Below the phase length, so slowloris sockets are cut within a flood phase. */
const handshakeTimeoutMs = 1_000;

type Counts = Record<string, Record<string, Record<string, number>>>;

interface AttackerReport {
  counts: Counts;
  trickleCutMs: Record<string, number[]>;
}

/** ok completions of the workload's clients (not the final reads) in [fromMs, toMs). */
function okIn(events: readonly HistoryEvent[], fromMs: number, toMs: number): number {
  return events.filter(
    (e) => e.type === 'ok' && e.process !== finalProcess && e.time >= fromMs && e.time < toMs,
  ).length;
}

/** CPU seconds (user + system) a process has used so far; null off Linux. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** CPU seconds each process spends inside the intervals between start() and stop(). */
class CpuMeter {
  private readonly totals: Record<string, number> = {};
  private begun: Record<string, number | null> = {};

  constructor(private readonly pids: Record<string, number>) {}

  start(): void {
    this.begun = this.sample();
  }

  stop(): void {
    for (const [name, now] of Object.entries(this.sample())) {
      const before = this.begun[name];
      if (now === null || before === null || before === undefined) continue;
      this.totals[name] = (this.totals[name] ?? 0) + now - before;
    }
  }

  used(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.totals).map(([k, v]) => [k, v.toFixed(1)]));
  }

  private sample(): Record<string, number | null> {
    return Object.fromEntries(
      Object.entries(this.pids).map(([name, pid]) => [name, cpuSeconds(pid)]),
    );
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every outcome of one target, summed over attacks: "close 1007" -> n. */
function outcomesOf(byAttack: Record<string, Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const outcomes of Object.values(byAttack)) {
    for (const [outcome, n] of Object.entries(outcomes)) sum[outcome] = (sum[outcome] ?? 0) + n;
  }
  return sum;
}

describe('flood of hostile input', () => {
  const env = useClusterAndBalancers({
    args: ['--handshake-timeout-ms', String(handshakeTimeoutMs)],
    balancers: 1,
    balancerArgs: [
      ...['--frame-bytes-max', String(frameBytesMax)],
      ...['--client-hello-timeout-ms', String(handshakeTimeoutMs)],
    ],
  });

  test('honest workload stays linearizable and keeps >= 50% of its throughput', async () => {
    const balancer = env.balancers.balancers[0];
    const node = env.cluster.nodes[0];
    if (balancer === undefined || node === undefined) throw new Error('cluster not started');
    const attacker = spawnTs('test/security/flood-attacker.ts', [
      ...['--target', balancer.url, '--target', node.url],
      ...['--loops', String(loopsPerPort), '--trickle-loops', '1'],
    ]);
    await attacker.waitForEvent('ready', 30_000);
    const pids: Record<string, number> = {
      test: process.pid,
      attacker: attacker.pid,
      balancer: balancer.process?.pid ?? -1,
    };
    for (const n of env.cluster.nodes) pids[n.id] = n.process?.pid ?? -1;
    const cpu = new CpuMeter(pids);
    const startMs = performance.now();
    const phaseStartMs = (i: number): number => startMs + warmupMs + i * phaseMs;
    // Each flood phase: CPU accounting and SIGUSR1 at its start, SIGUSR2 at its end.
    const timers = phases.flatMap((kind, i) =>
      kind === 'quiet'
        ? []
        : [
            setTimeout(() => {
              cpu.start();
              attacker.kill('SIGUSR1');
            }, phaseStartMs(i) - startMs),
            setTimeout(
              () => {
                attacker.kill('SIGUSR2');
                cpu.stop();
              },
              phaseStartMs(i + 1) - startMs,
            ),
          ],
    );
    let result: Awaited<ReturnType<typeof runWorkload>>;
    try {
      result = await runWorkload({
        balancers: env.balancers.urls,
        clients: 6,
        hotKeys: 6,
        coldKeys: 30,
        durationMs: warmupMs + phases.length * phaseMs,
        seed,
        requestTimeoutMs: 5_000,
      });
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
    const reportLine = attacker.waitForEvent<AttackerReport>('counts', 10_000);
    attacker.kill('SIGTERM');
    const report = await reportLine;
    const perPhase = phases.map((kind, i) => ({
      kind,
      opsPerS: okIn(result.events, phaseStartMs(i), phaseStartMs(i + 1)) / (phaseMs / 1_000),
    }));
    const mean = (kind: Phase): number => {
      const of = perPhase.filter((p) => p.kind === kind).map((p) => p.opsPerS);
      return of.reduce((a, b) => a + b, 0) / of.length;
    };
    const undisturbed = mean('quiet');
    const flooded = mean('flood');
    const ratio = flooded / undisturbed;
    const balancerOutcomes = outcomesOf(report.counts[balancer.url.slice(5)] ?? {});
    const nodeOutcomes = outcomesOf(report.counts[node.url.slice(5)] ?? {});
    const floodS = (phases.filter((p) => p === 'flood').length * phaseMs) / 1_000;
    console.log(
      `flood: honest ok ops/s per ${phaseMs / 1_000} s phase ` +
        `${perPhase.map((p) => `${p.kind} ${p.opsPerS.toFixed(0)}`).join(', ')}; ` +
        `undisturbed ${undisturbed.toFixed(0)}, flooded ${flooded.toFixed(0)} ` +
        `(${(ratio * 100).toFixed(0)}%); attacker connections closed: ` +
        `balancer ${JSON.stringify(balancerOutcomes)}, node ${JSON.stringify(nodeOutcomes)}; ` +
        `slowloris cut after ms ${JSON.stringify(report.trickleCutMs)}; ` +
        `CPU s over the ${floodS} s of flood ${JSON.stringify(cpu.used())}`,
    );

    const checks = checkHistory(result.events);
    expect(checks.linearizable, checks.detail ?? '').toBe('ok');
    expect(checks.versionOrderViolations).toEqual([]);
    expect(checks.lostWrites).toEqual([]);

    // Every attacker connection ended the way its bad input calls for, on both ports.
    const expectedBalancer = ['close 1007', 'close 1009', 'close 1003', 'close 4004'];
    for (const outcome of Object.keys(balancerOutcomes)) {
      expect(expectedBalancer).toContain(outcome);
    }
    for (const outcome of expectedBalancer) expect(balancerOutcomes[outcome]).toBeGreaterThan(50);
    for (const outcome of ['close 1007', 'close 1009', 'close 1003']) {
      expect(nodeOutcomes[outcome]).toBeGreaterThan(50);
    }
    for (const outcome of Object.keys(nodeOutcomes)) expect(outcome).toMatch(/^close (10|40)\d\d$/);
    // Slowloris upgrades were cut at the handshake timeout, on both ports, not left open.
    for (const target of [balancer.url, node.url]) {
      const cuts = report.trickleCutMs[target.slice(5)] ?? [];
      expect(cuts.length).toBeGreaterThanOrEqual(3);
      for (const ms of cuts) expect(ms).toBeGreaterThanOrEqual(handshakeTimeoutMs - 100);
      for (const ms of cuts) expect(ms).toBeLessThan(handshakeTimeoutMs + 1_500);
    }

    for (const n of env.cluster.nodes) expect(isAlive(n.process?.pid ?? -1)).toBe(true);
    expect(isAlive(balancer.process?.pid ?? -1)).toBe(true);
    expect(ratio).toBeGreaterThanOrEqual(0.5);
  }, 120_000);
});
