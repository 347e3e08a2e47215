// `pnpm bench --profile`: the write workload under `node --cpu-prof` in every process of the
// path — load generator (client SDK), balancer, three nodes — and a summary per process of
// where its CPU time went during the measured window, by layer (see cpu-profile.ts). Profiles
// cover the whole process life, so samples are cut to the window: V8's profile clock and
// process.hrtime are both CLOCK_MONOTONIC, so this process can name the window in the
// children's time.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestBalancers } from '../../harness/balancers.js';
import { TestCluster } from '../../harness/cluster.js';
import { KvTestClient } from '../../harness/kv-test-client.js';
import { spawnTs } from '../../harness/processes.js';
import type { ClosedLoopResult } from '../closed-loop.js';
import type { LoadLine, LoadPlan } from '../loadgen.js';
import { type CpuProfile, type ProfileSummary, summarizeProfile } from './cpu-profile.js';
import { CpuSampler } from './proc-cpu.js';
import { cutToWindow } from './profile-window.js';

export interface ProfileOptions {
  readonly concurrency: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly seed: number;
  readonly outDir: string;
  readonly progress: (line: string) => void;
}

export interface ProcessProfile {
  readonly process: string;
  readonly pid: number;
  /** CPU time (user + system, from /proc) the process used in the window. */
  readonly cpuMs: number;
  readonly summary: ProfileSummary;
}

/** A node's multi-raft work during the run (warm-up included), from its status. */
export interface NodeWork {
  readonly nodeId: string;
  readonly turns: number;
  readonly durableWrites: number;
  readonly applyOnlyWrites: number;
}

export interface WritePathProfile {
  readonly result: ClosedLoopResult;
  readonly windowMs: number;
  readonly processes: readonly ProcessProfile[];
  /** Writes the load generator got answered, warm-up included, to divide `work` by. */
  readonly writesAnswered: number;
  readonly work: readonly NodeWork[];
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1_000n);
}

/** Children started meanwhile write a .cpuprofile into `dir` when they exit. */
async function withCpuProf<T>(dir: string, start: () => Promise<T>): Promise<T> {
  // NODE_OPTIONS refuses --cpu-prof; spawnTs passes these to the children it starts.
  process.env.TROUPE_CHILD_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${dir}`;
  try {
    return await start();
  } finally {
    delete process.env.TROUPE_CHILD_NODE_ARGS;
  }
}

async function runWrites(
  options: ProfileOptions,
  balancers: readonly string[],
  clusterPids: readonly number[],
) {
  const plan: LoadPlan = {
    target: { kind: 'troupe', balancers },
    preload: false,
    runs: [{ workload: 'write', concurrency: options.concurrency }],
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    seed: options.seed,
  };
  const child = await withCpuProf(options.outDir, async () =>
    spawnTs('test/bench/loadgen.ts', [JSON.stringify(plan)], { env: { TROUPE_LOG_LEVEL: 'warn' } }),
  );
  const cpu = new CpuSampler([...clusterPids, child.pid]);
  let result: ClosedLoopResult | undefined;
  let endUs = 0;
  child.onLine((text) => {
    const line = JSON.parse(text) as LoadLine;
    if (line.event === 'result') {
      result = line.result;
      endUs = monotonicUs();
    }
  });
  try {
    await child.waitForEvent('done', options.warmupMs + options.durationMs + 60_000);
  } finally {
    cpu.stop();
  }
  await child.exited;
  if (result === undefined) throw new Error('the load generator reported no result');
  const fromUs = endUs - options.durationMs * 1_000;
  return { result, pid: child.pid, fromUs, toUs: endUs, cpuMs: cpu.usedBetween(fromUs, endUs) };
}

type WorkCounts = Omit<NodeWork, 'nodeId'>;

async function workCounts(probe: KvTestClient, nodeIds: readonly string[]) {
  const counts = new Map<string, WorkCounts>();
  for (const nodeId of nodeIds) {
    const status = await probe.admin<WorkCounts>(nodeId, { type: 'status' }, 10_000);
    const { turns, durableWrites, applyOnlyWrites } = status;
    counts.set(nodeId, { turns, durableWrites, applyOnlyWrites });
  }
  return counts;
}

function workBetween(before: Map<string, WorkCounts>, after: Map<string, WorkCounts>): NodeWork[] {
  return [...after].map(([nodeId, a]) => {
    const b = before.get(nodeId) ?? { turns: 0, durableWrites: 0, applyOnlyWrites: 0 };
    return {
      nodeId,
      turns: a.turns - b.turns,
      durableWrites: a.durableWrites - b.durableWrites,
      applyOnlyWrites: a.applyOnlyWrites - b.applyOnlyWrites,
    };
  });
}

function readProfiles(dir: string): Map<number, CpuProfile> {
  const byPid = new Map<number, CpuProfile>();
  for (const file of readdirSync(dir)) {
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread (tsx's
    // module loader runs on a thread of its own).
    const pid = /^CPU\.[^.]+\.[^.]+\.(\d+)\.0\./.exec(file)?.[1];
    if (pid === undefined || !file.endsWith('.cpuprofile')) continue;
    byPid.set(Number(pid), JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
  }
  return byPid;
}

export async function profileWritePath(options: ProfileOptions): Promise<WritePathProfile> {
  mkdirSync(options.outDir, { recursive: true });
  const cluster = await TestCluster.create({ size: 3 });
  const balancers = await TestBalancers.create(cluster, 1);
  const names = new Map<number, string>();
  try {
    options.progress('starting 3 nodes and 1 balancer under --cpu-prof');
    await withCpuProf(options.outDir, async () => {
      await cluster.startAll();
      await balancers.startAll();
    });
    for (const node of cluster.nodes) names.set(node.process?.pid ?? -1, `node ${node.id}`);
    names.set(balancers.balancer('b1').process?.pid ?? -1, 'balancer');
    options.progress(`write x${options.concurrency} for ${options.durationMs} ms`);
    const nodeIds = cluster.nodes.map((n) => n.id);
    const probe = await KvTestClient.connect(
      cluster.nodes.map((n) => n.url),
      16,
    );
    const before = await workCounts(probe, nodeIds);
    const run = await runWrites(options, balancers.urls, [...names.keys()]);
    const work = workBetween(before, await workCounts(probe, nodeIds));
    await probe.close();
    names.set(run.pid, 'load generator (SDK)');
    // SIGTERM: a clean exit is what makes V8 write the profile.
    await balancers.kill('b1', 'SIGTERM');
    await cluster.killAll('SIGTERM');
    const processes: ProcessProfile[] = [];
    for (const [pid, profile] of readProfiles(options.outDir)) {
      const name = names.get(pid);
      if (name === undefined) continue;
      const cut = cutToWindow(profile, run.fromUs, run.toUs);
      const cpuMs = run.cpuMs.get(pid) ?? 0;
      processes.push({ process: name, pid, cpuMs, summary: summarizeProfile(cut) });
    }
    processes.sort((a, b) => a.process.localeCompare(b.process));
    const writesAnswered = run.result.answeredTotal;
    return { result: run.result, windowMs: options.durationMs, processes, writesAnswered, work };
  } finally {
    await balancers.killAll();
    await cluster.destroy();
  }
}
