// The deterministic cluster simulator (in the spirit of TigerBeetle's VOPR and FoundationDB's
// simulation): replicas, network, disks and clients in one process, driven by one seeded Rng
// and a tick counter. A safety phase injects faults and checks Raft's invariants after every
// tick; a liveness phase heals everything and requires every new operation to complete. The
// client history is then checked for linearizability. Same seed, same run, bit for bit.
import type { MemoryStorage } from '@troupe/node/raft';
import { createSeededRng, type Rng } from '@troupe/runtime/rng';
import { ElectionSafety } from './checkers/election-safety.js';
import {
  checkAppended,
  checkLeaderCompleteness,
  checkLogMatching,
} from './checkers/log-matching.js';
import { StateMachineSafety } from './checkers/state-machine-safety.js';
import { formatMessage } from './message-format.js';
import { SimNetwork } from './network.js';
import type { NetworkOptions, SimOptions } from './options.js';
import { SimReplica } from './replica.js';
import { Trace } from './trace.js';
import { type SimOpRecord, Workload } from './workload.js';

export interface SimResult {
  seed: number;
  /** The first violation found, or undefined when the seed passed. */
  violation: string | undefined;
  ticks: number;
  operations: { ok: number; fail: number; info: number };
  leaders: number;
  trace: string[];
  history: SimOpRecord[];
}

export type HistoryChecker = (history: readonly SimOpRecord[]) => string | undefined;

export interface RunOptions {
  checkHistory?: HistoryChecker;
  /** Receives every trace line as it happens. */
  liveTrace?: (line: string) => void;
  traceLinesMax?: number;
}

const calmNetwork: NetworkOptions = {
  lossRate: 0,
  duplicateRate: 0,
  delayTicksMax: 1,
  partitionRate: 0,
  partitionTicksMax: 1,
  oneWayShare: 0,
  clogRate: 0,
  clogTicksMax: 1,
};
/** Delivery rounds per tick: zero-delay messages may cascade, but never forever. */
const roundsPerTickMax = 20;
const logMatchingEveryTicks = 25;
/** After the liveness phase, how long replicas may take to converge. */
const drainTicksMax = 300;

class Violation extends Error {}

function isAssertion(error: unknown): error is Error {
  return error instanceof Error && (error as { code?: unknown }).code === 'TROUPE_ERR_ASSERTION';
}

export class Simulator {
  private readonly rng: Rng;
  private readonly trace: Trace;
  private readonly network: SimNetwork;
  private readonly replicas = new Map<string, SimReplica>();
  /** Each replica's disk; the same objects for the whole run (they survive crashes). */
  private readonly logs = new Map<string, MemoryStorage>();
  private readonly downUntilTick = new Map<string, number>();
  private readonly workload: Workload;
  private readonly elections = new ElectionSafety();
  private readonly stateMachine = new StateMachineSafety();
  private tick = 0;
  private healed = false;

  constructor(
    private readonly options: SimOptions,
    private readonly run: RunOptions = {},
  ) {
    this.rng = createSeededRng(options.seed);
    this.trace = new Trace(run.traceLinesMax ?? 400, run.liveTrace);
    const ids = Array.from({ length: options.nodeCount }, (_, i) => `n${i + 1}`);
    this.network = new SimNetwork(this.rng, options.network, ids, this.trace);
    for (const id of ids) {
      const replica = this.createReplica(id, ids);
      this.replicas.set(id, replica);
      this.logs.set(id, replica.durable);
    }
    this.workload = new Workload(options, this.rng, this.replicas, this.trace);
  }

  runToEnd(): SimResult {
    let violation: string | undefined;
    try {
      const total = this.options.safetyTicks + this.options.livenessTicks;
      for (this.tick = 0; this.tick < total; this.tick++) this.step();
      this.drain(total + drainTicksMax);
      this.finalChecks();
      violation = this.run.checkHistory?.(this.workload.history);
    } catch (error) {
      // An assertion inside the core is the core detecting a broken invariant itself: as
      // much a finding as a checker's violation, and reported the same way.
      if (!(error instanceof Violation) && !isAssertion(error)) throw error;
      violation =
        error instanceof Violation ? error.message : `assertion: ${(error as Error).message}`;
    }
    if (violation) this.trace.add(this.tick, `VIOLATION ${violation}`);
    return this.result(violation);
  }

  private createReplica(id: string, voters: readonly string[]): SimReplica {
    const o = this.options;
    return new SimReplica(
      {
        id,
        voters,
        rng: this.rng,
        electionTimeoutTicks: o.electionTimeoutTicks,
        heartbeatIntervalTicks: o.heartbeatIntervalTicks,
        snapshotEveryEntries: o.snapshotEveryEntries,
        appendBytesMax: o.appendBytesMax,
        inflightMessagesMax: o.inflightMessagesMax,
        commitBroadcast: o.commitBroadcast,
        slowDiskRate: o.slowDiskRate,
        slowDiskTicksMax: o.slowDiskTicksMax,
        faults: o.faults,
      },
      {
        send: (message) => this.network.send(message, this.tick),
        applied: (nodeId, entry, term) => this.fail(this.stateMachine.observe(nodeId, entry, term)),
        persisted: (nodeId, entries) => this.fail(checkAppended(nodeId, entries, this.logs)),
        role: (nodeId, term, role, tick) => {
          this.trace.add(tick, `${nodeId} becomes ${role} in term ${term}`);
          this.fail(this.elections.observe(nodeId, term, role));
        },
        becameLeader: (nodeId, term, termAt, firstIndex) => {
          const committed = this.stateMachine.committed;
          this.fail(checkLeaderCompleteness(nodeId, term, termAt, firstIndex, committed));
        },
      },
      this.trace,
    );
  }

  private fail(violation: string | undefined): void {
    if (violation !== undefined) throw new Violation(violation);
  }

  private step(): void {
    this.workload.currentTick = this.tick;
    if (this.tick === this.options.safetyTicks) this.healEverything();
    if (!this.healed) this.injectFaults();
    for (const replica of this.replicas.values()) if (replica.up) replica.tick(this.tick);
    if (
      this.tick >=
      this.options.safetyTicks + this.options.livenessTicks - this.options.opTimeoutTicks
    ) {
      this.workload.stopped = true;
    }
    this.workload.step(this.tick);
    this.deliverAndProcess();
    if (this.tick % logMatchingEveryTicks === 0) this.checkLogs();
  }

  private deliverAndProcess(): void {
    for (let round = 0; round < roundsPerTickMax; round++) {
      const due = this.network.takeDue(this.tick);
      for (const message of due) {
        const target = this.replicas.get(message.to);
        if (!target?.up) continue;
        // Messages go to the live trace only: in the kept tail they would drown the events.
        if (this.run.liveTrace)
          this.run.liveTrace(`${String(this.tick).padStart(6, ' ')} ${formatMessage(message)}`);
        target.step(message);
      }
      let busy = due.length > 0;
      for (const replica of this.replicas.values()) {
        while (replica.processReady(this.tick)) busy = true;
      }
      if (!busy) return;
    }
  }

  private injectFaults(): void {
    this.network.nemesis(this.tick);
    for (const [id, untilTick] of this.downUntilTick) {
      if (this.tick < untilTick) continue;
      this.downUntilTick.delete(id);
      this.replicas.get(id)?.restart(this.tick);
    }
    if (this.rng.nextFloat() < this.options.crashRate) this.crash(this.anyUpReplica());
    if (this.rng.nextFloat() < this.options.leaderCrashRate) this.crash(this.leader());
    if (this.rng.nextFloat() < this.options.transferRate) this.transferLeadership();
    if (this.rng.nextFloat() < this.options.pauseRate)
      this.pause(this.rng.nextFloat() < 0.5 ? this.leader() : this.anyUpReplica());
  }

  private anyUpReplica(): SimReplica | undefined {
    const up = [...this.replicas.values()].filter((r) => r.up);
    return up[this.rng.nextInt(up.length)];
  }

  private leader(): SimReplica | undefined {
    return [...this.replicas.values()].find((r) => r.node?.status().role === 'leader');
  }

  private crash(victim: SimReplica | undefined): void {
    if (!victim) return;
    victim.crash(this.tick);
    this.downUntilTick.set(victim.id, this.tick + 1 + this.rng.nextInt(this.options.downTicksMax));
  }

  private pause(victim: SimReplica | undefined): void {
    if (!victim || victim.isPaused(this.tick)) return;
    const untilTick = this.tick + 1 + this.rng.nextInt(this.options.pauseTicksMax);
    victim.pausedUntilTick = untilTick;
    // A resumed process often runs its own queued work before it reads the network.
    this.network.hold(victim.id, untilTick + this.rng.nextInt(3));
    this.trace.add(this.tick, `${victim.id} paused until ${untilTick}`);
  }

  private transferLeadership(): void {
    const leader = this.leader();
    const others = [...this.replicas.keys()].filter((id) => id !== leader?.id);
    const target = others[this.rng.nextInt(others.length)];
    if (!leader?.node || target === undefined) return;
    this.trace.add(this.tick, `${leader.id} transfer leadership to ${target}`);
    leader.node.transferLeader(target);
  }

  /** Clients have stopped; give replicas bounded time to apply everything that committed. */
  private drain(untilTick: number): void {
    const converged = (): boolean =>
      this.workload.pendingCount === 0 &&
      new Set([...this.replicas.values()].map((r) => r.appliedIndex)).size === 1;
    for (; this.tick < untilTick && !converged(); this.tick++) this.step();
  }

  private healEverything(): void {
    this.healed = true;
    this.network.healAll(this.tick, calmNetwork);
    for (const id of this.downUntilTick.keys()) this.replicas.get(id)?.restart(this.tick);
    this.downUntilTick.clear();
    for (const replica of this.replicas.values()) {
      replica.calm();
      replica.pausedUntilTick = undefined;
    }
    this.workload.routeToLeader = true;
    this.trace.add(this.tick, 'heal: all faults off, liveness phase');
  }

  private checkLogs(): void {
    this.fail(checkLogMatching(this.logs));
  }

  /** After the liveness phase: logs match, replicas converged, nothing left pending. */
  private finalChecks(): void {
    this.checkLogs();
    const applied = [...this.replicas.values()].map((r) => r.appliedIndex);
    if (new Set(applied).size !== 1) {
      this.fail(`liveness: replicas did not converge (applied ${applied.join(', ')})`);
    }
    // Once healed and settled, every operation must get a definite answer in time, and the
    // cluster must make progress: a refusal that names the leader is an answer, silence is not.
    const settleTick = this.options.safetyTicks + 4 * this.options.electionTimeoutTicks;
    const late = this.workload.history.filter((op) => op.invokeTick >= settleTick);
    const unanswered = late.filter((op) => op.outcome === 'info' || op.outcome === 'pending');
    if (unanswered.length > 0) {
      const first = unanswered[0] as SimOpRecord;
      this.fail(
        `liveness: ${unanswered.length} operations after healing got no answer, e.g. ${first.id}`,
      );
    }
    if (late.length > 0 && !late.some((op) => op.outcome === 'ok')) {
      this.fail(`liveness: none of ${late.length} operations after healing succeeded`);
    }
  }

  private result(violation: string | undefined): SimResult {
    const count = (outcome: string): number =>
      this.workload.history.filter((op) => op.outcome === outcome).length;
    return {
      seed: this.options.seed,
      violation,
      ticks: this.tick,
      operations: { ok: count('ok'), fail: count('fail'), info: count('info') },
      leaders: this.elections.leaderCount,
      trace: this.trace.tail(),
      history: this.workload.history,
    };
  }
}
