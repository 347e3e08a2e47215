// Real node processes on loopback for multi-process tests: a cluster of `troupe-node`
// processes with fixed ports and data dirs (so a node can be killed and restarted on the same
// address and store), started and stopped by pid through processes.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { type SpawnedProcess, spawnTs } from './processes.js';

export const nodeMain = 'packages/node/src/main.ts';

export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly zone: string;
  /** Set for a node that joins a running cluster instead of being a founding member. */
  readonly joinVia?: string;
  process: SpawnedProcess | null;
}

export interface ClusterOptions {
  readonly size?: number;
  readonly shards?: number;
  /** Extra flags for every node. */
  readonly args?: readonly string[];
  readonly zones?: readonly string[];
}

export class TestCluster {
  readonly nodes: ClusterNode[];
  readonly root: string;
  readonly initialCluster: string;

  private constructor(
    nodes: ClusterNode[],
    root: string,
    private readonly options: ClusterOptions,
  ) {
    this.nodes = nodes;
    this.root = root;
    this.initialCluster = nodes.map((n) => `${n.id}=127.0.0.1:${n.port}@${n.zone}`).join(',');
  }

  /** Picks ports and data dirs; starts nothing. */
  static async create(options: ClusterOptions = {}): Promise<TestCluster> {
    const size = options.size ?? 3;
    const root = mkdtempSync(join(tmpdir(), 'troupe-cluster-'));
    const zones = options.zones ?? ['zone-a', 'zone-b', 'zone-c'];
    const nodes: ClusterNode[] = [];
    for (let i = 1; i <= size; i++) {
      const port = await freePort();
      const zone = zones[(i - 1) % zones.length] ?? 'default';
      const dataDir = join(root, `n${i}`);
      nodes.push({
        id: `n${i}`,
        port,
        url: `ws://127.0.0.1:${port}`,
        dataDir,
        zone,
        process: null,
      });
    }
    return new TestCluster(nodes, root, options);
  }

  node(id: string): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  /** Adds a node that will join through `via` (a founding member's id); starts nothing. */
  async addJoiner(id: string, zone: string, via: string): Promise<ClusterNode> {
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}`;
    const node = { id, port, url, dataDir: join(this.root, id), zone, joinVia: this.node(via).url };
    this.nodes.push({ ...node, process: null });
    return this.node(id);
  }

  argsFor(node: ClusterNode, extra: readonly string[] = []): string[] {
    const membership =
      node.joinVia === undefined
        ? ['--initial-cluster', this.initialCluster]
        : ['--join', node.joinVia];
    return [
      ...['--id', node.id, '--listen', `127.0.0.1:${node.port}`, '--data-dir', node.dataDir],
      ...membership,
      ...['--zone', node.zone],
      ...['--shards', String(this.options.shards ?? 16)],
      ...(this.options.args ?? []),
      ...extra,
    ];
  }

  /** Starts the node and waits for its `ready` line. */
  async start(id: string, extra: readonly string[] = []): Promise<void> {
    const node = this.node(id);
    if (node.process !== null) throw new Error(`${id} is already running`);
    const child = spawnTs(nodeMain, this.argsFor(node, extra), {
      env: { TROUPE_LOG_LEVEL: process.env.TROUPE_LOG_LEVEL ?? 'info' },
      // Debugging a node crash: TROUPE_TEST_STDERR=1 shows the nodes' stderr.
      inheritStderr: process.env.TROUPE_TEST_STDERR === '1',
    });
    node.process = child;
    void child.exited.then(() => {
      if (node.process === child) node.process = null;
    });
    await child.waitForEvent('ready', 20_000);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.start(n.id)));
  }

  /** Kills the node's process (SIGKILL by default) and waits until it is gone. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.node(id).process;
    if (child === null) return;
    child.kill(signal);
    await child.exited;
    this.node(id).process = null;
  }

  async killAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n.id, signal)));
  }

  /** Kills every process and removes the data dirs. */
  async destroy(): Promise<void> {
    await this.killAll();
    rmSync(this.root, { recursive: true, force: true });
  }
}
