// A real etcd cluster on loopback for `--compare etcd` and its test: N `etcd` processes (the
// binary from Debian's etcd-server) with free ports, fresh data dirs and a unique cluster
// token, tracked by pid so that a member can be killed, restarted on the same address and data
// dir, and every process is gone after stop() or when this process exits.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../harness/ports.js';
import { track } from '../../harness/processes.js';

/** The binary to run: TROUPE_ETCD_BIN, else `etcd` on PATH (/usr/bin/etcd from Debian). */
export const etcdBinary = process.env.TROUPE_ETCD_BIN ?? 'etcd';

export const etcdMissingMessage = 'etcd-server not installed (apt-get install etcd-server)';

export interface EtcdClusterOptions {
  readonly members?: number;
  readonly heartbeatMs?: number;
  readonly electionMs?: number;
  /** How long start() and restart() wait for members to report healthy. */
  readonly startTimeoutMs?: number;
}

export interface EtcdMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** Undefined while the member is not running. */
  readonly pid: number | undefined;
}

interface MemberState {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  child: ChildProcess | null;
  exited: Promise<void>;
  /** The last lines of stderr, to explain a member that failed to start. */
  readonly stderrTail: string[];
}

/** The JSON gateway's /v3/maintenance/status answer; uint64 fields arrive as strings. */
interface StatusJson {
  readonly header?: { readonly member_id?: string; readonly raft_term?: string };
  readonly leader?: string;
}

const stderrTailLines = 20;
const pollIntervalMs = 50;
const httpTimeoutMs = 1_000;

// Every etcd process this module started and that has not exited, by pid. They are also
// tracked by the harness (processes.ts `track`), so `stopAll` and the exit handler kill them:
// a failed test or a crashed bench never leaves a member holding its ports and data dir.
const live = new Map<number, ChildProcess>();

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** Pids of etcd processes started here and still running. */
export function liveEtcdPids(): number[] {
  return [...live.keys()];
}

export class EtcdCluster {
  private stopped = false;

  private constructor(
    private readonly state: readonly MemberState[],
    private readonly root: string,
    private readonly initialCluster: string,
    private readonly token: string,
    private readonly options: Required<EtcdClusterOptions>,
  ) {}

  /** Whether the etcd binary can be run here. */
  static available(): boolean {
    const probe = spawnSync(etcdBinary, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return probe.error === undefined && probe.status === 0;
  }

  /** Starts every member and resolves once each reports healthy (a quorum read succeeded). */
  static async start(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    if (!EtcdCluster.available()) throw new Error(etcdMissingMessage);
    const resolved: Required<EtcdClusterOptions> = {
      members: options.members ?? 3,
      heartbeatMs: options.heartbeatMs ?? 100,
      electionMs: options.electionMs ?? 1_000,
      startTimeoutMs: options.startTimeoutMs ?? 30_000,
    };
    const root = mkdtempSync(join(tmpdir(), 'troupe-etcd-'));
    const ports = await distinctFreePorts(resolved.members * 2);
    const state: MemberState[] = Array.from({ length: resolved.members }, (_, i) => ({
      name: `etcd${i + 1}`,
      clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
      peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
      dataDir: join(root, `etcd${i + 1}`),
      child: null,
      exited: Promise.resolve(),
      stderrTail: [],
    }));
    const initialCluster = state.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    // A unique token keeps members of an earlier run (same ports reused) from joining this one.
    const token = `troupe-bench-${randomUUID()}`;
    const cluster = new EtcdCluster(state, root, initialCluster, token, resolved);
    try {
      for (const member of state) cluster.spawnMember(member, 'new');
      await Promise.all(state.map((m) => cluster.waitHealthy(m)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get members(): EtcdMember[] {
    return this.state.map((m) => ({
      name: m.name,
      clientUrl: m.clientUrl,
      peerUrl: m.peerUrl,
      dataDir: m.dataDir,
      pid: m.child?.pid,
    }));
  }

  get clientUrls(): string[] {
    return this.state.map((m) => m.clientUrl);
  }

  /** Sends `signal` to the member (SIGKILL by default) and waits until it has exited. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const member = this.member(name);
    const child = member.child;
    if (child?.pid === undefined) return;
    tryKill(child.pid, signal);
    await member.exited;
  }

  /** Starts a stopped member again on its address and data dir, and waits until healthy. */
  async restart(name: string): Promise<void> {
    const member = this.member(name);
    if (member.child !== null) throw new Error(`${name} is still running`);
    this.spawnMember(member, 'existing');
    await this.waitHealthy(member);
  }

  /**
   * The member that is leader by its own account, asked of every running member; undefined
   * while none is (during an election). Two may claim it across a term change: the higher
   * term wins.
   */
  async leader(): Promise<string | undefined> {
    const running = this.state.filter((m) => m.child !== null);
    const statuses = await Promise.all(running.map((m) => memberStatus(m.clientUrl)));
    let best: { name: string; term: bigint } | undefined;
    statuses.forEach((status, i) => {
      const memberId = status?.header?.member_id;
      if (memberId === undefined || status?.leader !== memberId) return;
      const term = BigInt(status.header?.raft_term ?? '0');
      const name = running[i]?.name;
      if (name !== undefined && (best === undefined || term > best.term)) best = { name, term };
    });
    return best?.name;
  }

  /** Resolves with the leader's name once there is one. */
  async waitForLeader(timeoutMs = 15_000): Promise<string> {
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      const leader = await this.leader();
      if (leader !== undefined) return leader;
      if (Date.now() > deadlineMs) throw new Error(`no etcd leader within ${timeoutMs} ms`);
      await sleep(pollIntervalMs);
    }
  }

  /** Kills every member, waits for them to exit, and removes the data dirs. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.state.map((m) => this.kill(m.name, 'SIGKILL')));
    rmSync(this.root, { recursive: true, force: true });
  }

  private member(name: string): MemberState {
    const member = this.state.find((m) => m.name === name);
    if (member === undefined) throw new Error(`no etcd member ${name}`);
    return member;
  }

  private spawnMember(member: MemberState, clusterState: 'new' | 'existing'): void {
    if (this.stopped) throw new Error('the etcd cluster is stopped');
    const child = spawn(etcdBinary, this.argsFor(member, clusterState), {
      env: etcdEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`failed to spawn ${etcdBinary} for ${member.name}`);
    live.set(pid, child);
    track(child);
    member.child = child;
    member.stderrTail.length = 0;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      member.stderrTail.push(...chunk.split('\n').filter((line) => line !== ''));
      member.stderrTail.splice(0, Math.max(0, member.stderrTail.length - stderrTailLines));
    });
    member.exited = new Promise((resolve) => {
      child.once('exit', () => {
        live.delete(pid);
        if (member.child === child) member.child = null;
        resolve();
      });
    });
  }

  private argsFor(member: MemberState, clusterState: 'new' | 'existing'): string[] {
    return [
      ...['--name', member.name, '--data-dir', member.dataDir],
      ...['--listen-client-urls', member.clientUrl, '--advertise-client-urls', member.clientUrl],
      ...['--listen-peer-urls', member.peerUrl, '--initial-advertise-peer-urls', member.peerUrl],
      ...['--initial-cluster', this.initialCluster],
      ...['--initial-cluster-state', clusterState, '--initial-cluster-token', this.token],
      ...['--heartbeat-interval', String(this.options.heartbeatMs)],
      ...['--election-timeout', String(this.options.electionMs)],
      // Errors only, to stderr (kept as a tail for diagnostics), never to journald.
      ...['--logger', 'zap', '--log-level', 'error', '--log-outputs', 'stderr'],
    ];
  }

  /** Polls the member's /health, which etcd 3.4 answers true only after a quorum read. */
  private async waitHealthy(member: MemberState): Promise<void> {
    const timeoutMs = this.options.startTimeoutMs;
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      if (member.child === null) {
        throw new Error(`${member.name} exited while starting:\n${member.stderrTail.join('\n')}`);
      }
      if (await isHealthy(member.clientUrl)) return;
      if (Date.now() > deadlineMs) {
        const tail = member.stderrTail.join('\n');
        throw new Error(`${member.name} not healthy within ${timeoutMs} ms:\n${tail}`);
      }
      await sleep(pollIntervalMs);
    }
  }
}

/** Our environment without ETCD_* variables, which etcd would read as flags. */
function etcdEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('ETCD_')),
  );
}

/** `count` free loopback ports, all different (freePort alone may hand one out twice). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function isHealthy(clientUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${clientUrl}/health`, {
      signal: AbortSignal.timeout(httpTimeoutMs),
    });
    const body = (await response.json()) as { health?: string };
    return response.ok && body.health === 'true';
  } catch {
    return false;
  }
}

async function memberStatus(clientUrl: string): Promise<StatusJson | undefined> {
  try {
    const response = await fetch(`${clientUrl}/v3/maintenance/status`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(httpTimeoutMs),
    });
    return response.ok ? ((await response.json()) as StatusJson) : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
