// One chaos run from start to report: start a proxied cluster, wait for every shard to have
// a leader, run the workload while the nemeses work and the leader watch records, heal every
// fault, read every key once more, check the history and measure availability against the
// model. With `outDir` it writes history.jsonl, report.json and report.html there. The
// cluster is stopped on every path; the caller's process handlers stop it on Ctrl-C.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '../sim/checkers/history.js';
import { measureAvailability, perSecond, reachableFractions } from './availability.js';
import { ChaosCluster } from './chaos-cluster.js';
import { checkHistory } from './checks.js';
import { writeHistory } from './history-file.js';
import { latencyRows } from './latency.js';
import { LeaderWatch } from './leader-watch.js';
import { Nemesis, type NemesisKind } from './nemesis.js';
import { renderReportHtml } from './report-html.js';
import type { ChaosReport } from './report-types.js';
import { runWorkload, type WorkloadMix } from './workload.js';

export interface ChaosOptions {
  readonly timeS: number;
  readonly nemesis: readonly NemesisKind[];
  readonly clients: number;
  readonly nodes: number;
  readonly balancers: number;
  readonly seed: number;
  readonly downMs: number;
  readonly gapMs: number;
  readonly hotKeys: number;
  readonly coldKeys: number;
  readonly requestTimeoutMs: number;
  /** Fraction of gets that are stale reads (workload default when absent). */
  readonly staleReadFraction?: number;
  /** Operation weights (workload default when absent). */
  readonly mix?: WorkloadMix;
  /** Most operations per second each client starts; closed loop when absent. */
  readonly ratePerClient?: number;
  readonly nodeArgs?: readonly string[];
  readonly balancerArgs?: readonly string[];
  /**
   * Where to write history.jsonl, report.json, report.html and logs/<process>.log; nothing is
   * written if null.
   */
  readonly outDir: string | null;
  /** The command line, for the report. */
  readonly command: string;
  /** Progress lines for a person watching. */
  readonly progress?: (line: string) => void;
}

export interface ChaosRun {
  readonly report: ChaosReport;
  readonly events: readonly HistoryEvent[];
}

export const historyFileName = 'history.jsonl';

async function waitForLeaders(cluster: ChaosCluster, timeoutMs: number): Promise<void> {
  const endMs = Date.now() + timeoutMs;
  for (;;) {
    const shards = await cluster.shardLeaders();
    if (shards !== null && shards.length > 0 && shards.every((s) => s.leader !== null)) return;
    if (Date.now() > endMs) throw new Error(`not every shard had a leader in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosRun> {
  const say = options.progress ?? (() => {});
  say(`starting ${options.nodes} nodes and ${options.balancers} balancers behind link proxies`);
  const cluster = await ChaosCluster.start({
    nodes: options.nodes,
    balancers: options.balancers,
    ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
    ...(options.balancerArgs === undefined ? {} : { balancerArgs: options.balancerArgs }),
    ...(options.outDir === null ? {} : { logDir: join(options.outDir, 'logs') }),
  });
  try {
    await waitForLeaders(cluster, 30_000);
    return await underFaults(cluster, options, say);
  } finally {
    await cluster.stop();
  }
}

async function underFaults(
  cluster: ChaosCluster,
  options: ChaosOptions,
  say: (line: string) => void,
): Promise<ChaosRun> {
  const startedAt = new Date().toISOString();
  const originMs = performance.now();
  const watch = new LeaderWatch(cluster, originMs);
  const nemesis = new Nemesis(cluster, { ...options, kinds: options.nemesis, originMs });
  say(`workload: ${options.clients} clients for ${options.timeS} s; nemesis: ${label(options)}`);
  watch.start();
  nemesis.start();
  let durationMs = 0;
  const result = await runWorkload(
    {
      balancers: cluster.clientUrls,
      clients: options.clients,
      hotKeys: options.hotKeys,
      coldKeys: options.coldKeys,
      durationMs: options.timeS * 1_000,
      seed: options.seed,
      requestTimeoutMs: options.requestTimeoutMs,
      ...(options.staleReadFraction === undefined
        ? {}
        : { staleReadFraction: options.staleReadFraction }),
      ...(options.mix === undefined ? {} : { mix: options.mix }),
      ...(options.ratePerClient === undefined ? {} : { ratePerClient: options.ratePerClient }),
    },
    async () => {
      durationMs = performance.now() - originMs;
      await nemesis.stop();
      await watch.stop();
      say(`healing every fault (${nemesis.faults.length} applied), then final reads`);
      await cluster.healAll();
      await waitForLeaders(cluster, 30_000);
    },
  ).finally(async () => {
    await nemesis.stop();
    await watch.stop();
  });
  say(`checking ${result.events.length} events`);
  const report = buildReport(options, {
    startedAt,
    originMs,
    durationMs,
    events: result.events,
    nemesis,
    watch,
    cluster,
  });
  if (options.outDir !== null) await writeOutputs(options.outDir, report, result.events, originMs);
  return { report, events: result.events };
}

function label(options: ChaosOptions): string {
  return options.nemesis.length === 0 ? 'none' : options.nemesis.join(', ');
}

interface Observed {
  readonly startedAt: string;
  readonly originMs: number;
  readonly durationMs: number;
  readonly events: readonly HistoryEvent[];
  readonly nemesis: Nemesis;
  readonly watch: LeaderWatch;
  readonly cluster: ChaosCluster;
}

function buildReport(options: ChaosOptions, seen: Observed): ChaosReport {
  const { events, originMs, durationMs, cluster } = seen;
  const faults = seen.nemesis.finished();
  const names = [...cluster.nodeIds, ...cluster.balancerIds];
  const workloadEvents = events.filter((e) => e.process !== 'final');
  const count = (type: HistoryEvent['type']): number =>
    workloadEvents.filter((e) => e.type === type).length;
  return {
    format: 'troupe-chaos-report/1',
    startedAt: seen.startedAt,
    command: options.command,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.version,
    },
    options: {
      timeS: options.timeS,
      nemesis: options.nemesis,
      clients: options.clients,
      nodes: options.nodes,
      balancers: options.balancers,
      seed: options.seed,
    },
    durationMs,
    faults,
    leaderChanges: seen.watch.changes,
    perSecond: perSecond(workloadEvents, originMs, durationMs),
    reachableFraction: reachableFractions(faults, names, durationMs),
    availability: measureAvailability({
      events: workloadEvents,
      startTimeMs: originMs,
      durationMs,
      faults,
      nodes: cluster.nodeIds,
      balancers: cluster.balancerIds,
    }),
    latency: latencyRows(workloadEvents, originMs, faults),
    counts: { invoked: count('invoke'), ok: count('ok'), fail: count('fail'), info: count('info') },
    checks: checkHistory(events),
    historyFile: historyFileName,
  };
}

async function writeOutputs(
  outDir: string,
  report: ChaosReport,
  events: readonly HistoryEvent[],
  originMs: number,
): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await writeHistory(join(outDir, historyFileName), events, originMs);
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'report.html'), renderReportHtml(report));
}
