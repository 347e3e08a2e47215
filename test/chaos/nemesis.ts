// Nemeses for the chaos harness: faults applied to real processes on a schedule while the
// workload runs, each recorded as a window (start, end, what) for reports and availability.
// `kill` sends SIGKILL to a node and restarts it after `downMs`; `pause` sends SIGSTOP and
// SIGCONT after `downMs` (a stand-in for a GC pause or a frozen VM). Victims rotate over the
// nodes, one fault at a time, `gapMs` apart. Every fault is undone when the run stops, on
// every path.
import type { TestCluster } from '../harness/cluster.js';

export type NemesisKind = 'kill' | 'pause';

export interface FaultWindow {
  readonly kind: NemesisKind;
  readonly target: string;
  readonly startMs: number;
  endMs: number | null;
}

export interface NemesisOptions {
  readonly kind: NemesisKind;
  readonly downMs: number;
  readonly gapMs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class Nemesis {
  readonly windows: FaultWindow[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: TestCluster,
    private readonly options: NemesisOptions,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops scheduling, undoes the fault in progress and waits until every node runs. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    for (let round = 0; this.running; round++) {
      await sleep(this.options.gapMs);
      if (!this.running) return;
      const node = this.cluster.nodes[round % this.cluster.nodes.length];
      if (node === undefined) return;
      const window: FaultWindow = {
        kind: this.options.kind,
        target: node.id,
        startMs: performance.now(),
        endMs: null,
      };
      this.windows.push(window);
      try {
        await this.apply(node.id);
      } finally {
        window.endMs = performance.now();
      }
    }
  }

  /** One fault on `nodeId`, undone before it returns (also when it throws). */
  private async apply(nodeId: string): Promise<void> {
    if (this.options.kind === 'kill') {
      await this.cluster.kill(nodeId);
      try {
        await sleep(this.options.downMs);
      } finally {
        await this.cluster.start(nodeId);
      }
      return;
    }
    const child = this.cluster.node(nodeId).process;
    if (child === null) return;
    child.kill('SIGSTOP');
    try {
      await sleep(this.options.downMs);
    } finally {
      child.kill('SIGCONT');
    }
  }
}
