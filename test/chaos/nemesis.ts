// Nemeses for the chaos harness: faults applied to real processes and links on a schedule
// while the workload runs, each recorded as a FaultRecord (what, to whom, when, who it made
// unreachable) for the checks, the availability model and the report.
// - Node faults, one at a time (two at once would take a majority of three nodes): `kill`
//   (SIGKILL, restart), `pause` (SIGSTOP/SIGCONT: a GC pause, a frozen VM), and partitions
//   over the link proxies: `partition-majority` (a minority of nodes cut from the rest),
//   `isolate-leader` (the node leading most shards cut from the other nodes, still reachable
//   by balancers), `isolate-node` (a node cut from everything), `bridge` (two sides that only
//   reach a middle node) and `one-way` (the busiest leader's messages to the others are lost).
// - Balancer faults on a lane of their own, so with both kinds chosen several faults overlap:
//   `kill-balancer` (SIGKILL, restart).
// Victims rotate over the nodes (and balancers). Every fault is undone when the run stops,
// on every path.
import type { ChaosCluster } from './chaos-cluster.js';
import type { Partitioner } from './net/partition.js';
import type { FaultRecord } from './report-types.js';

/** What a nemesis does to a cluster: ChaosCluster, or a fake in unit tests. */
export type NemesisTarget = Pick<
  ChaosCluster,
  | 'nodeIds'
  | 'balancerIds'
  | 'killNode'
  | 'startNode'
  | 'pauseNode'
  | 'resumeNode'
  | 'killBalancer'
  | 'startBalancer'
  | 'busiestLeader'
> & { readonly network: Pick<Partitioner, 'split' | 'isolate' | 'bridge' | 'oneWay' | 'healAll'> };

export const nemesisKinds = [
  'kill',
  'pause',
  'partition-majority',
  'isolate-leader',
  'isolate-node',
  'bridge',
  'one-way',
  'kill-balancer',
] as const;

export type NemesisKind = (typeof nemesisKinds)[number];

export class NemesisSpecError extends Error {
  readonly code = 'TROUPE_ERR_CHAOS_NEMESIS';
}

/** `all`, `none`, or a comma-separated list of kinds. */
export function parseNemeses(spec: string): NemesisKind[] {
  if (spec === 'all') return [...nemesisKinds];
  if (spec === 'none' || spec === '') return [];
  const kinds = spec.split(',').map((s) => s.trim());
  for (const kind of kinds) {
    if (!(nemesisKinds as readonly string[]).includes(kind)) {
      throw new NemesisSpecError(
        `unknown nemesis '${kind}'; choose from ${nemesisKinds.join(', ')}, all or none`,
      );
    }
  }
  return [...new Set(kinds as NemesisKind[])];
}

export interface NemesisOptions {
  readonly kinds: readonly NemesisKind[];
  /** How long each fault lasts. */
  readonly downMs: number;
  /** Quiet time before each fault. */
  readonly gapMs: number;
  /** `performance.now()` of the run's start: fault times are recorded relative to it. */
  readonly originMs: number;
}

interface MutableFault {
  kind: NemesisKind;
  target: string;
  startMs: number;
  endMs: number | null;
  nodesDown: string[];
  balancersDown: string[];
}

/** A fault in place: what it did, and how to undo it. */
interface Applied {
  readonly target: string;
  readonly nodesDown: string[];
  readonly balancersDown: string[];
  undo(): Promise<void>;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

export class Nemesis {
  private readonly records: MutableFault[] = [];
  private running = false;
  private lanes: Promise<void>[] = [];
  private readonly stopping = new AbortController();
  /** The first fault that could not be applied or undone; stop() throws it. */
  private failure: unknown = null;

  constructor(
    private readonly cluster: NemesisTarget,
    private readonly options: NemesisOptions,
  ) {}

  /** Faults so far; one still in place has `endMs` null. */
  get faults(): readonly Readonly<MutableFault>[] {
    return this.records;
  }

  /** Faults with every window closed (call after stop()). */
  finished(): FaultRecord[] {
    return this.records.map((r) => ({ ...r, endMs: r.endMs ?? this.nowMs() }));
  }

  start(): void {
    this.running = true;
    const nodeKinds = this.options.kinds.filter((k) => k !== 'kill-balancer');
    const balancerKinds = this.options.kinds.filter((k) => k === 'kill-balancer');
    if (nodeKinds.length > 0) this.lanes.push(this.guarded(nodeKinds, 0));
    // Half a fault later than the node lane: each balancer fault starts in the middle of a
    // node fault and outlasts it, so it is both on top of a node fault and alone.
    const offsetMs = nodeKinds.length > 0 ? this.options.downMs / 2 : 0;
    if (balancerKinds.length > 0) this.lanes.push(this.guarded(balancerKinds, offsetMs));
  }

  /** A lane that fails stops the run's faults and is reported by stop(), not left unhandled. */
  private async guarded(kinds: readonly NemesisKind[], offsetMs: number): Promise<void> {
    try {
      await this.lane(kinds, offsetMs);
    } catch (error) {
      this.failure ??= error;
      this.running = false;
      this.stopping.abort();
    }
  }

  /** Stops scheduling, undoes the faults in place and waits until they are undone. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await Promise.all(this.lanes);
    this.lanes = [];
    if (this.failure !== null) throw this.failure;
  }

  private nowMs(): number {
    return performance.now() - this.options.originMs;
  }

  /** Sleeps, but wakes at once when the run stops. */
  private async pause(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  private async lane(kinds: readonly NemesisKind[], offsetMs: number): Promise<void> {
    if (offsetMs > 0) await this.pause(offsetMs);
    for (let round = 0; this.running; round++) {
      await this.pause(this.options.gapMs);
      if (!this.running) return;
      const kind = kinds[round % kinds.length] as NemesisKind;
      // Rounds of one kind advance its victim, whatever the other kinds do.
      const turn = Math.floor(round / kinds.length);
      const record: MutableFault = {
        kind,
        target: '',
        startMs: this.nowMs(),
        endMs: null,
        nodesDown: [],
        balancersDown: [],
      };
      const applied = await this.apply(kind, turn);
      Object.assign(record, {
        target: applied.target,
        nodesDown: applied.nodesDown,
        balancersDown: applied.balancersDown,
      });
      this.records.push(record);
      try {
        await this.pause(this.options.downMs);
      } finally {
        await applied.undo();
        record.endMs = this.nowMs();
      }
    }
  }

  private async apply(kind: NemesisKind, turn: number): Promise<Applied> {
    const c = this.cluster;
    const nodes = c.nodeIds;
    const victim = nodes[turn % nodes.length] as string;
    const heal = async (): Promise<void> => c.network.healAll();
    switch (kind) {
      case 'kill':
        await c.killNode(victim);
        return down(victim, () => c.startNode(victim));
      case 'pause':
        c.pauseNode(victim);
        return down(victim, async () => c.resumeNode(victim));
      case 'partition-majority': {
        const minority = rotate(nodes, turn).slice(0, Math.floor((nodes.length - 1) / 2));
        const majority = nodes.filter((n) => !minority.includes(n));
        c.network.split(minority, majority);
        const target = `${minority.join(' ')} | ${majority.join(' ')}`;
        return { target, nodesDown: minority, balancersDown: [], undo: heal };
      }
      case 'isolate-leader': {
        const leader = await c.busiestLeader();
        c.network.split(
          [leader],
          nodes.filter((n) => n !== leader),
        );
        return { ...down(leader, heal), target: `${leader} | others (leader)` };
      }
      case 'isolate-node':
        c.network.isolate(victim);
        return { ...down(victim, heal), target: `${victim} | everyone` };
      case 'bridge':
        return this.bridge(rotate(nodes, turn), heal);
      case 'one-way': {
        const leader = await c.busiestLeader();
        for (const n of nodes) if (n !== leader) c.network.oneWay(leader, n);
        return { ...down(leader, heal), target: `${leader} -> others lost` };
      }
      case 'kill-balancer': {
        const balancers = c.balancerIds;
        const b = balancers[turn % balancers.length] as string;
        await c.killBalancer(b);
        return { target: b, nodesDown: [], balancersDown: [b], undo: () => c.startBalancer(b) };
      }
    }
  }

  /** The middle node reaches both sides; the sides cannot reach each other. */
  private bridge(order: readonly string[], heal: () => Promise<void>): Applied {
    const [middle, ...rest] = order as [string, ...string[]];
    const half = Math.ceil(rest.length / 2);
    const sideA = rest.slice(0, half);
    const sideB = rest.slice(half);
    if (sideA.length === 0 || sideB.length === 0) {
      return { target: 'bridge needs 3 nodes', nodesDown: [], balancersDown: [], undo: heal };
    }
    this.cluster.network.bridge(sideA, middle, sideB);
    const target = `${sideA.join(' ')} | ${middle} | ${sideB.join(' ')}`;
    return { target, nodesDown: [], balancersDown: [], undo: heal };
  }
}

function down(node: string, undo: () => Promise<void>): Applied {
  return { target: node, nodesDown: [node], balancersDown: [], undo };
}
