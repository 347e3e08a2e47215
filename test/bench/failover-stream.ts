// The orchestrator's end of one try's write stream: spawns failover-load.ts with a plan,
// gathers the writes it reports, and answers the two questions a try asks while it runs —
// "has the stream been acknowledging for a while?" (steady before the fault) and "has a
// write issued after the fault been acknowledged?" (the fault is over) — then stops it.
import { type SpawnedProcess, spawnTs } from '../harness/processes.js';
import {
  type AckedWrite,
  type FailedWrite,
  type FailoverLoadLine,
  type FailoverLoadPlan,
  wallMs,
} from './failover-plan.js';

/** A write stream's writes once it has stopped. */
export interface StreamWrites {
  readonly acked: readonly AckedWrite[];
  readonly failed: readonly FailedWrite[];
}

const pollIntervalMs = 10;
/** Writes in flight when the stream stops are answered within the SDK's 10 s deadline. */
const stopTimeoutMs = 30_000;

export class LoadStream {
  private readonly acked: AckedWrite[] = [];
  private readonly failed: FailedWrite[] = [];
  /** A line that did not parse: the load process's output is wrong, and stop() says so. */
  private badLine: string | null = null;

  private constructor(private readonly child: SpawnedProcess) {
    child.onLine((text) => this.take(text));
  }

  static start(plan: FailoverLoadPlan): LoadStream {
    const child = spawnTs('test/bench/failover-load.ts', [JSON.stringify(plan)], {
      env: { TROUPE_LOG_LEVEL: 'warn' },
    });
    return new LoadStream(child);
  }

  /** Resolves once the first write was acknowledged `steadyMs` ago. */
  async steady(steadyMs: number, timeoutMs: number): Promise<void> {
    const first = await this.until(() => this.acked[0], timeoutMs, 'no write acknowledged');
    const leftMs = first[1] + steadyMs - wallMs();
    if (leftMs > 0) await sleep(leftMs);
  }

  /** The first acknowledged write issued at or after `faultMs`, once the stream reports one. */
  firstAckAfter(faultMs: number, timeoutMs: number): Promise<AckedWrite> {
    const find = (): AckedWrite | undefined => this.acked.find((w) => w[0] >= faultMs);
    return this.until(find, timeoutMs, 'no write issued after the fault was acknowledged');
  }

  /** Stops the writers, waits for the writes in flight and the process's exit. */
  async stop(): Promise<StreamWrites> {
    this.child.kill('SIGTERM');
    await this.child.waitForEvent('done', stopTimeoutMs);
    await this.child.exited;
    if (this.badLine !== null) throw new Error(`bad line from the load: ${this.badLine}`);
    return { acked: this.acked, failed: this.failed };
  }

  /** Ends the process at once (cleanup after a failure). */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  private take(text: string): void {
    if (!text.startsWith('{')) return;
    let line: FailoverLoadLine;
    try {
      line = JSON.parse(text) as FailoverLoadLine;
    } catch (error) {
      this.badLine ??= `${String(error)} (${text.length} chars): ${text.slice(0, 300)}`;
      return;
    }
    if (line.event !== 'writes') return;
    this.acked.push(...line.acked);
    this.failed.push(...line.failed);
  }

  /** The exit status and stderr tail of the load process, as spawnTs reports them. */
  private async exitReason(): Promise<string> {
    const failure = await this.child.waitForLine(() => false, 1).catch((e: unknown) => e);
    return String(failure);
  }

  /** Polls `find` until it returns something; fails after `timeoutMs` or if the load died. */
  private async until<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    let exited = false;
    void this.child.exited.then(() => {
      exited = true;
    });
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (exited) throw new Error(`${what}: ${await this.exitReason()}`);
      if (Date.now() > deadlineMs) {
        const errors = this.failed.slice(-3).map((f) => f[3]);
        throw new Error(`${what} within ${timeoutMs} ms; last errors: ${errors.join('; ')}`);
      }
      await sleep(pollIntervalMs);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
