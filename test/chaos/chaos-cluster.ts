// The chaos harness's cluster: real node and balancer processes on loopback where every
// directed node->node and balancer->node link runs through its own LinkProxy, so the
// Partitioner can cut any link. Nodes get `--peer-via` for each peer and balancers are seeded
// with (and `--peer-via`) the proxies, so no byte between two processes bypasses a proxy.
// Each process keeps its arguments, so a nemesis can kill and restart it on the same links.
// `stop()` stops every process it started (by pid), closes the proxies and removes the data.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { TestBalancers } from '../harness/balancers.js';
import { type ClusterNode, TestCluster } from '../harness/cluster.js';
import type { SpawnedProcess } from '../harness/processes.js';
import { LinkProxy } from './net/link-proxy.js';
import { Partitioner } from './net/partition.js';

export interface ChaosClusterOptions {
  readonly nodes: number;
  readonly balancers: number;
  readonly shards?: number;
  /** Extra flags for every node. */
  readonly nodeArgs?: readonly string[];
  /** Extra flags for every balancer. */
  readonly balancerArgs?: readonly string[];
  /** Each process's log lines (stdout) are appended to `<logDir>/<id>.log`, across restarts. */
  readonly logDir?: string;
}

/** A shard's leader and term as a balancer reports them. */
export interface ShardLeader {
  readonly shard: number;
  readonly leader: string | null;
  readonly term: number;
}

interface StatusShard {
  readonly groupId: string;
  readonly leader: string | null;
  readonly term: number;
}

/** Clusters started and not yet stopped, so a Ctrl-C handler can stop them all. */
const running = new Set<ChaosCluster>();

export class ChaosCluster {
  private readonly paused = new Set<string>();

  /** Stops every cluster still running (for signal handlers). */
  static async stopEvery(): Promise<void> {
    await Promise.all([...running].map((c) => c.stop()));
  }

  private readonly logs = new Map<string, WriteStream>();

  private constructor(
    readonly nodes: TestCluster,
    readonly balancers: TestBalancers,
    readonly network: Partitioner,
    private readonly proxies: ReadonlyMap<string, LinkProxy>,
    private readonly logDir: string | undefined,
  ) {
    if (logDir !== undefined) mkdirSync(logDir, { recursive: true });
  }

  /** Starts proxies, nodes and balancers, and waits until each printed `ready`. */
  static async start(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const nodes = await TestCluster.create({
      size: options.nodes,
      ...(options.shards === undefined ? {} : { shards: options.shards }),
      args: options.nodeArgs ?? [],
    });
    const balancers = await TestBalancers.create(
      nodes,
      options.balancers,
      options.balancerArgs ?? [],
    );
    const proxies = new Map<string, LinkProxy>();
    const ends = [...nodes.nodes.map((n) => n.id), ...balancers.balancers.map((b) => b.id)];
    for (const from of ends) {
      for (const to of nodes.nodes) {
        if (from === to.id) continue;
        const name = `${from}->${to.id}`;
        proxies.set(name, await LinkProxy.start({ name, targetPort: to.port }));
      }
    }
    const network = new Partitioner(proxies);
    const cluster = new ChaosCluster(nodes, balancers, network, proxies, options.logDir);
    running.add(cluster);
    try {
      await Promise.all(nodes.nodes.map((n) => cluster.startNode(n.id)));
      await Promise.all(balancers.balancers.map((b) => cluster.startBalancer(b.id)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get nodeIds(): string[] {
    return this.nodes.nodes.map((n) => n.id);
  }

  get balancerIds(): string[] {
    return this.balancers.balancers.map((b) => b.id);
  }

  /** Where clients connect: the balancers, directly (client links are not faulted). */
  get clientUrls(): string[] {
    return this.balancers.urls;
  }

  /** `--peer-via` for every node but `from`, through the `from->node` proxies. */
  private viaArgs(from: string): string[] {
    return this.nodes.nodes
      .filter((n) => n.id !== from)
      .flatMap((n) => ['--peer-via', `${n.id}=127.0.0.1:${this.proxy(from, n).port}`]);
  }

  private proxy(from: string, to: ClusterNode): LinkProxy {
    const proxy = this.proxies.get(`${from}->${to.id}`);
    if (proxy === undefined) throw new Error(`no proxy ${from}->${to.id}`);
    return proxy;
  }

  async startNode(id: string): Promise<void> {
    await this.nodes.start(id, this.viaArgs(id));
    this.keepLog(id, this.nodes.node(id).process);
  }

  private keepLog(id: string, child: SpawnedProcess | null): void {
    if (this.logDir === undefined || child === null) return;
    let out = this.logs.get(id);
    if (out === undefined) {
      out = createWriteStream(join(this.logDir, `${id}.log`), { flags: 'a' });
      this.logs.set(id, out);
    }
    const sink = out;
    // Nothing runs between the copy and the subscription, so no line is lost or doubled.
    for (const line of child.lines) sink.write(`${line}\n`);
    child.onLine((line) => sink.write(`${line}\n`));
  }

  async killNode(id: string): Promise<void> {
    this.paused.delete(id);
    await this.nodes.kill(id);
  }

  pauseNode(id: string): void {
    const child = this.nodes.node(id).process;
    if (child === null) return;
    child.kill('SIGSTOP');
    this.paused.add(id);
  }

  resumeNode(id: string): void {
    if (!this.paused.delete(id)) return;
    this.nodes.node(id).process?.kill('SIGCONT');
  }

  async startBalancer(id: string): Promise<void> {
    const seeds = this.nodes.nodes.flatMap((n) => ['--seed', this.proxy(id, n).url]);
    await this.balancers.start(id, [...seeds, ...this.viaArgs(id)], false);
    this.keepLog(id, this.balancers.balancer(id).process);
  }

  async killBalancer(id: string): Promise<void> {
    await this.balancers.kill(id);
  }

  /** Shard leaders as the first balancer that answers sees them; null if none answers. */
  async shardLeaders(timeoutMs = 1_000): Promise<ShardLeader[] | null> {
    for (const balancer of this.balancers.balancers) {
      if (balancer.process === null) continue;
      try {
        const response = await fetch(`${balancer.http}/status`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        const status = (await response.json()) as { shards: StatusShard[] };
        return status.shards.map((s) => ({
          shard: Number(s.groupId.replace(/^s/, '')),
          leader: s.leader,
          term: s.term,
        }));
      } catch {
        // Down, paused or slow: ask the next one.
      }
    }
    return null;
  }

  /** The node leading the most shards (ties: lowest id), or the first node if none is known. */
  async busiestLeader(): Promise<string> {
    const counts = new Map<string, number>();
    for (const s of (await this.shardLeaders()) ?? []) {
      if (s.leader !== null) counts.set(s.leader, (counts.get(s.leader) ?? 0) + 1);
    }
    const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return ranked[0]?.[0] ?? (this.nodeIds[0] as string);
  }

  /** Undoes every fault: heals every link, resumes paused nodes, restarts stopped processes. */
  async healAll(): Promise<void> {
    this.network.healAll();
    for (const id of [...this.paused]) this.resumeNode(id);
    for (const node of this.nodes.nodes) if (node.process === null) await this.startNode(node.id);
    for (const b of this.balancers.balancers)
      if (b.process === null) await this.startBalancer(b.id);
  }

  /** Stops every process (paused ones too), closes the proxies and removes the data dirs. */
  async stop(): Promise<void> {
    running.delete(this);
    for (const id of [...this.paused]) this.resumeNode(id);
    await this.balancers.killAll();
    await this.nodes.destroy();
    await this.network.close();
    await Promise.all(
      [...this.logs.values()].map((out) => new Promise((resolve) => out.end(resolve))),
    );
    this.logs.clear();
  }
}
