// `troupe up`: a local cluster in the foreground. Plans or reloads the layout in the data dir,
// stops what a killed earlier run left running, starts the nodes, then the balancers seeded
// with them, waits until every shard has a leader, prints the URLs and keeps a status line
// fresh. SIGINT/SIGTERM/SIGHUP stop every child (balancers first) and exit 0.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UpCommand } from './args.js';
import {
  balancerHttp,
  balancerUrl,
  type ClusterLayout,
  initialCluster,
  loadOrCreateLayout,
  logPath,
  nodeDataDir,
} from './cluster-file.js';
import { ensureClusterSecret } from './cluster-secret.js';
import { StartupError } from './errors.js';
import { stopLeftovers } from './leftovers.js';
import { DirLock } from './lock.js';
import type { Out } from './output.js';
import { busyPorts } from './ports.js';
import { startTicks } from './proc.js';
import { allLed, fetchStatus, ledShards, type StatusView } from './status-fetch.js';
import { renderStatusLine } from './status-table.js';
import { type Child, Supervisor } from './supervisor.js';
import { UpReport } from './up-report.js';

/** The workspace root: children start there so `--import tsx` resolves. */
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const nodeEntry = resolve(repoRoot, 'packages/node/src/main.ts');
const balancerEntry = resolve(repoRoot, 'packages/balancer/src/main.ts');

const childReadyTimeoutMs = 30_000;
const leadersTimeoutMs = 60_000;
const leadersPollMs = 200;
const statusRefreshMs = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function nodeArgs(layout: ClusterLayout, dir: string, index: number): string[] {
  const node = layout.nodes[index]!;
  return [
    ...['--id', node.id, '--listen', `127.0.0.1:${node.port}`],
    ...['--data-dir', nodeDataDir(dir, node.id), '--zone', node.zone],
    ...['--initial-cluster', initialCluster(layout)],
    ...['--shards', String(layout.shards)],
    ...['--replication-factor', String(layout.replicationFactor)],
    ...['--cluster-secret-file', ensureClusterSecret(dir)],
  ];
}

function balancerArgs(layout: ClusterLayout, dir: string, index: number): string[] {
  const balancer = layout.balancers[index]!;
  const seeds = layout.nodes.flatMap((n) => ['--seed', `ws://127.0.0.1:${n.port}`]);
  const secret = ['--cluster-secret-file', ensureClusterSecret(dir)];
  return ['--id', balancer.id, '--listen', `127.0.0.1:${balancer.port}`, ...seeds, ...secret];
}

async function startChildren(
  supervisor: Supervisor,
  report: UpReport,
  specs: readonly { id: string; kind: 'node' | 'balancer'; entry: string; args: string[] }[],
  dir: string,
): Promise<void> {
  const children = specs.map((spec) =>
    supervisor.spawn({ ...spec, logFile: logPath(dir, spec.id) }),
  );
  await Promise.all(
    children.map(async (child) => {
      const ready = await child.ready(childReadyTimeoutMs);
      report.childReady(child.spec.kind, child.spec.id, child.pid, String(ready.url ?? ''));
    }),
  );
}

/** The first balancer that answers /status, or null. */
async function anyStatus(layout: ClusterLayout, timeoutMs: number): Promise<StatusView | null> {
  for (const balancer of layout.balancers) {
    try {
      return (await fetchStatus(balancerUrl(balancer), timeoutMs)).view;
    } catch {
      // Try the next balancer.
    }
  }
  return null;
}

async function waitForLeaders(layout: ClusterLayout, report: UpReport): Promise<void> {
  const deadline = Date.now() + leadersTimeoutMs;
  while (Date.now() < deadline) {
    const view = await anyStatus(layout, leadersPollMs * 5);
    if (view !== null && allLed(view)) return;
    if (view !== null) {
      const { led, total } = ledShards(view);
      report.leaders(led, total || layout.shards);
    }
    await sleep(leadersPollMs);
  }
  throw new StartupError(`not every shard had a leader within ${leadersTimeoutMs} ms`);
}

async function checkPorts(layout: ClusterLayout): Promise<void> {
  const ports = [...layout.nodes, ...layout.balancers].map((x) => x.port);
  const busy = await busyPorts(ports);
  if (busy.length > 0) {
    throw new StartupError(`port(s) ${busy.join(', ')} already in use; is the cluster running?`);
  }
}

function pidsOf(children: readonly Child[]): Record<string, number> {
  return Object.fromEntries(children.map((c) => [c.spec.id, c.pid]));
}

/** Refreshes the status line every second until the process stops. */
function keepStatusFresh(layout: ClusterLayout, report: UpReport, supervisor: Supervisor): void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void anyStatus(layout, statusRefreshMs).then((view) => {
      busy = false;
      const balancersUp = supervisor.running.filter((c) => c.spec.kind === 'balancer').length;
      report.status(
        view === null ? 'no balancer answers /status' : renderStatusLine(view, balancersUp),
      );
    });
  }, statusRefreshMs);
  timer.unref();
}

export async function runUp(command: UpCommand, out: Out, tty: boolean): Promise<never> {
  const dir = resolve(command.dataDir);
  const { layout, created } = await loadOrCreateLayout(dir, command, command.basePort);
  const report = new UpReport(out, command.json, tty);
  const { lock, stale } = DirLock.acquire(dir);
  if (stale !== null) report.leftovers(await stopLeftovers(stale));
  const releaseLock = (): void => lock.release();
  const supervisor = new Supervisor({
    cwd: repoRoot,
    onUnexpectedExit: (child, exit) => {
      const { kind, id } = child.spec;
      report.childExited(kind, id, child.pid, exit, logPath(dir, id));
    },
    onSpawn: ({ spec, pid }, argv) => {
      lock.record({ id: spec.id, kind: spec.kind, pid, startTicks: startTicks(pid), argv });
    },
  });
  const stop = stopOnSignals(supervisor, report, releaseLock);
  const started = Date.now();
  try {
    await checkPorts(layout);
    report.starting(dir, layout.nodes.length, layout.balancers.length, created);
    const nodes = layout.nodes.map((n, i) => ({
      id: n.id,
      kind: 'node' as const,
      entry: nodeEntry,
      args: nodeArgs(layout, dir, i),
    }));
    await startChildren(supervisor, report, nodes, dir);
    const balancers = layout.balancers.map((b, i) => ({
      id: b.id,
      kind: 'balancer' as const,
      entry: balancerEntry,
      args: balancerArgs(layout, dir, i),
    }));
    await startChildren(supervisor, report, balancers, dir);
    await waitForLeaders(layout, report);
  } catch (error) {
    if (stop.requested()) return stop.finished;
    await supervisor.stopAll();
    releaseLock();
    throw error;
  }
  report.ready({
    client: layout.balancers.map(balancerUrl),
    dashboard: `${balancerHttp(layout.balancers[0]!)}/`,
    dataDir: dir,
    pids: pidsOf(supervisor.running),
    tookMs: Date.now() - started,
  });
  keepStatusFresh(layout, report, supervisor);
  return stop.finished;
}

/** On the first signal: stop every child, release the dir, exit 0. A second signal waits. */
function stopOnSignals(supervisor: Supervisor, report: UpReport, releaseLock: () => void) {
  let requested = false;
  const finished = new Promise<never>(() => {
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(name, () => {
        if (requested) return;
        requested = true;
        report.stopping(name);
        void supervisor.stopAll().then(() => {
          releaseLock();
          report.stopped();
          process.exit(0);
        });
      });
    }
  });
  return { finished, requested: () => requested };
}
