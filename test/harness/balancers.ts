// Real `troupe-balancer` processes on loopback for multi-process tests, beside a TestCluster:
// fixed ports (so a balancer can be restarted on the same address), seeded with every node of
// the cluster, started and stopped by pid through processes.ts.
import type { TestCluster } from './cluster.js';
import { freePort } from './ports.js';
import { type SpawnedProcess, spawnTs } from './processes.js';

export const balancerMain = 'packages/balancer/src/main.ts';

export interface TestBalancer {
  readonly id: string;
  readonly port: number;
  /** Where clients connect. */
  readonly url: string;
  /** Where /healthz, /status and /metrics are served. */
  readonly http: string;
  process: SpawnedProcess | null;
}

export class TestBalancers {
  private constructor(
    readonly balancers: TestBalancer[],
    private readonly cluster: TestCluster,
    private readonly args: readonly string[],
  ) {}

  static async create(
    cluster: TestCluster,
    count = 2,
    args: readonly string[] = [],
  ): Promise<TestBalancers> {
    const balancers: TestBalancer[] = [];
    for (let i = 1; i <= count; i++) {
      const port = await freePort();
      balancers.push({
        id: `b${i}`,
        port,
        url: `ws://127.0.0.1:${port}`,
        http: `http://127.0.0.1:${port}`,
        process: null,
      });
    }
    return new TestBalancers(balancers, cluster, args);
  }

  get urls(): string[] {
    return this.balancers.map((b) => b.url);
  }

  balancer(id: string): TestBalancer {
    const found = this.balancers.find((b) => b.id === id);
    if (found === undefined) throw new Error(`no balancer ${id}`);
    return found;
  }

  /**
   * Starts the balancer and waits for its `ready` line. It is seeded with every node unless
   * `seeded` is false (then it must learn the cluster from nodes that dial --peer-listen).
   */
  async start(id: string, extra: readonly string[] = [], seeded = true): Promise<void> {
    const balancer = this.balancer(id);
    if (balancer.process !== null) throw new Error(`${id} is already running`);
    const seeds = seeded ? this.cluster.nodes.flatMap((n) => ['--seed', n.url]) : [];
    const args = ['--id', id, '--listen', `127.0.0.1:${balancer.port}`, ...seeds];
    const child = spawnTs(balancerMain, [...args, ...this.args, ...extra], {
      env: { TROUPE_LOG_LEVEL: process.env.TROUPE_LOG_LEVEL ?? 'info' },
      inheritStderr: process.env.TROUPE_TEST_STDERR === '1',
    });
    balancer.process = child;
    void child.exited.then(() => {
      if (balancer.process === child) balancer.process = null;
    });
    await child.waitForEvent('ready', 20_000);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.balancers.map((b) => this.start(b.id)));
  }

  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.balancer(id).process;
    if (child === null) return;
    child.kill(signal);
    await child.exited;
    this.balancer(id).process = null;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.balancers.map((b) => this.kill(b.id)));
  }

  async status<T = Record<string, unknown>>(id: string): Promise<T> {
    const response = await fetch(`${this.balancer(id).http}/status`);
    return (await response.json()) as T;
  }

  async metrics(id: string): Promise<string> {
    return (await fetch(`${this.balancer(id).http}/metrics`)).text();
  }
}
