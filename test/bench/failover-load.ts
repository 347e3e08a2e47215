// The failover benchmark's write stream, a process of its own so that its CPU and event loop
// are not the orchestrator's (which kills, stops and cuts nodes meanwhile): it reads a plan
// (failover-plan.ts) as JSON from argv and runs `concurrency` writers closed loop through the
// real client — the SDK with troupe-target.ts's defaults, or etcd3 with its defaults — each
// write a new key with a unique value. Every `flushIntervalMs` it prints the writes finished
// since the last line, with issue and ack times on the wall clock (sub-ms). On SIGTERM the
// writers stop issuing, the writes in flight are awaited and printed, then `done`.
import type { BenchTarget } from './bench-target.js';
import {
  type AckedWrite,
  type FailedWrite,
  type FailoverLoadLine,
  type FailoverLoadPlan,
  failoverValue,
  wallMs,
  writerKeys,
} from './failover-plan.js';
import { openTarget } from './target-spec.js';

const encoder = new TextEncoder();
/** After a failed write the writer waits this long, as an application would, then goes on. */
const failurePauseMs = 10;

function say(line: FailoverLoadLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Microsecond precision is plenty and keeps the lines short. */
function us(ms: number): number {
  return Math.round(ms * 1_000) / 1_000;
}

class WriteStream {
  private acked: AckedWrite[] = [];
  private failed: FailedWrite[] = [];
  private stopping = false;

  constructor(
    private readonly target: BenchTarget,
    private readonly plan: FailoverLoadPlan,
  ) {}

  stop(): void {
    this.stopping = true;
  }

  /** Runs every writer until stop(); resolves once the last write in flight is answered. */
  async run(): Promise<void> {
    const writers = Array.from({ length: this.plan.concurrency }, (_, i) => this.writer(i));
    await Promise.all(writers);
  }

  /** Prints the writes finished since the last flush (nothing if there are none). */
  flush(): void {
    if (this.acked.length === 0 && this.failed.length === 0) return;
    say({ event: 'writes', acked: this.acked, failed: this.failed });
    this.acked = [];
    this.failed = [];
  }

  private async writer(index: number): Promise<void> {
    const keys = writerKeys(this.plan, index);
    while (!this.stopping) {
      const key = keys.next().value;
      const issueMs = wallMs();
      try {
        await this.target.write(key, encoder.encode(failoverValue(key)));
        this.acked.push([us(issueMs), us(wallMs()), key]);
      } catch (error) {
        this.failed.push([us(issueMs), us(wallMs()), key, String(error)]);
        // A client that fails fast (etcd3 with every host's breaker open) would spin.
        await sleep(failurePauseMs);
      }
    }
  }
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '') as FailoverLoadPlan;
  const target = openTarget(plan.target);
  const stream = new WriteStream(target, plan);
  process.once('SIGTERM', () => stream.stop());
  const flusher = setInterval(() => stream.flush(), plan.flushIntervalMs);
  try {
    await stream.run();
  } finally {
    clearInterval(flusher);
    stream.flush();
    say({ event: 'done' });
    await target.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  process.stderr.write(`failover-load: ${String(error)}\n`);
  process.exitCode = 1;
});
