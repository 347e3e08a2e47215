// What `troupe up` tells its user while it starts, runs and stops: human lines on a terminal
// or pipe, or JSON lines (`--json`) whose `event` field scripts and tests wait on.

import type { LeftoverResult } from './leftovers.js';
import { LiveLine, type Out } from './output.js';
import type { ExitInfo } from './supervisor.js';

export interface ReadyInfo {
  readonly client: readonly string[];
  readonly dashboard: string;
  readonly dataDir: string;
  readonly pids: Readonly<Record<string, number>>;
  readonly tookMs: number;
}

export class UpReport {
  readonly live: LiveLine;
  /** Once stopping, the status line is no longer refreshed: it would describe a teardown. */
  private stoppingNow = false;
  /** On a terminal the line is redrawn every second: an uptime shows it is alive. */
  private readonly redrawn: boolean;
  private readyAtMs = 0;
  private lastJsonStatus: string | null = null;

  constructor(
    private readonly out: Out,
    private readonly json: boolean,
    tty: boolean,
  ) {
    this.redrawn = tty && !json;
    this.live = new LiveLine(out, this.redrawn);
  }

  /** The children of a killed earlier run, stopped before this one starts; silent if none. */
  leftovers(result: LeftoverResult): void {
    if (result.stopped.length === 0 && result.skipped.length === 0) return;
    if (this.json) return this.out.json({ event: 'leftovers', ...result });
    const list = result.stopped.map((c) => `${c.id} (pid ${c.pid})`).join(', ');
    const parts = [
      `stopped ${result.stopped.length} process(es) left running by a troupe up that was killed`,
      ` (pid ${result.holderPid}): ${list || 'none'}`,
    ];
    if (result.killed.length > 0) parts.push(`; needed SIGKILL: ${result.killed.join(', ')}`);
    if (result.skipped.length > 0) {
      const pids = result.skipped.map((c) => c.pid).join(', ');
      parts.push(`; left pid(s) ${pids} alone (now other processes)`);
    }
    this.out.line(parts.join(''));
  }

  starting(dataDir: string, nodes: number, balancers: number, created: boolean): void {
    if (this.json) return this.out.json({ event: 'starting', dataDir, nodes, balancers, created });
    const what = created ? 'a new cluster' : 'the cluster stored there';
    this.out.line(`starting ${nodes} nodes and ${balancers} balancer(s) in ${dataDir} (${what})`);
  }

  childReady(kind: string, id: string, pid: number, url: string): void {
    if (this.json) return this.out.json({ event: 'child-ready', kind, id, pid, url });
    this.out.line(`${kind} ${id} ready (pid ${pid}, ${url})`);
  }

  /** Progress while waiting for leaders; a terminal redraws it, a pipe gets changes only. */
  leaders(led: number, total: number): void {
    if (this.json) return;
    this.live.show(`waiting for shard leaders: ${led}/${total}`);
  }

  ready(info: ReadyInfo): void {
    this.readyAtMs = Date.now();
    this.live.clear();
    if (this.json) return this.out.json({ event: 'ready', supervisorPid: process.pid, ...info });
    this.out.line(`every shard has a leader (${(info.tookMs / 1000).toFixed(1)} s)`);
    this.out.line(`client: ${info.client.join(',')}`);
    this.out.line(`dashboard: ${info.dashboard}`);
    this.out.line(`logs: ${info.dataDir}/logs (Ctrl-C stops every process)`);
  }

  status(line: string): void {
    if (this.stoppingNow) return;
    if (this.json) {
      // Only on change, as for a pipe: a script reading events wants news, not a heartbeat.
      if (line === this.lastJsonStatus) return;
      this.lastJsonStatus = line;
      return this.out.json({ event: 'status', line });
    }
    this.live.show(this.redrawn ? `${line} | up ${uptime(Date.now() - this.readyAtMs)}` : line);
  }

  childExited(kind: string, id: string, pid: number, exit: ExitInfo, log: string): void {
    this.live.clear();
    const how = exit.signal ?? `code ${exit.code}`;
    if (this.json) {
      return this.out.json({ event: 'exit', kind, id, pid, code: exit.code, signal: exit.signal });
    }
    this.out.error(`${kind} ${id} (pid ${pid}) exited unexpectedly (${how}); see ${log}`);
  }

  stopping(signal: string): void {
    this.stoppingNow = true;
    this.live.clear();
    if (this.json) return this.out.json({ event: 'stopping', signal });
    this.out.line(`${signal}: stopping every process`);
  }

  stopped(): void {
    if (this.json) return this.out.json({ event: 'stopped' });
    this.out.line('stopped');
  }
}

/** 75_000 -> "1m15s". */
export function uptime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const ss = `${seconds % 60}s`;
  if (hours > 0) return `${hours}h${minutes % 60}m${ss}`;
  return minutes > 0 ? `${minutes}m${ss}` : ss;
}
