// CPU time of processes from /proc (user + system), sampled on the monotonic clock while a
// benchmark runs. CPU per operation is what a write costs each hop however busy the machine
// is, where ops/s and latency move with whatever else runs on these two cores.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (CLK_TCK, 100 on Linux). */
const ticksPerS = 100;

/** CPU milliseconds (user + system) the process has used, or null if it is gone. */
export function processCpuMs(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces; the fields after its closing ')' do not.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1_000) / ticksPerS;
}

interface CpuSample {
  readonly atUs: number;
  readonly cpuMs: ReadonlyMap<number, number>;
}

/** Samples the CPU of `pids` every `intervalMs` until stopped. */
export class CpuSampler {
  private readonly samples: CpuSample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: readonly number[],
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** CPU ms each process used between the samples nearest to the two monotonic times. */
  usedBetween(fromUs: number, toUs: number): Map<number, number> {
    const from = this.nearest(fromUs);
    const to = this.nearest(toUs);
    const used = new Map<number, number>();
    for (const pid of this.pids) {
      const a = from.cpuMs.get(pid);
      const b = to.cpuMs.get(pid);
      if (a !== undefined && b !== undefined) used.set(pid, b - a);
    }
    return used;
  }

  private nearest(atUs: number): CpuSample {
    let best = this.samples[0];
    for (const s of this.samples) {
      if (best === undefined || Math.abs(s.atUs - atUs) < Math.abs(best.atUs - atUs)) best = s;
    }
    if (best === undefined) throw new Error('no CPU samples');
    return best;
  }

  private sample(): void {
    const cpuMs = new Map<number, number>();
    for (const pid of this.pids) {
      const ms = processCpuMs(pid);
      if (ms !== null) cpuMs.set(pid, ms);
    }
    this.samples.push({ atUs: Number(process.hrtime.bigint() / 1_000n), cpuMs });
  }
}
