// Simulated clients: each runs one operation at a time against a replica of its choice
// (get, update, create, delete, compare-and-set on a small key set, so operations conflict),
// and records invoke and outcome (ok / fail / info) for the linearizability checker.
import { ProposalDroppedError, ReadIndexDroppedError } from '@troupe/node/raft';
import type { Rng } from '@troupe/runtime/rng';
import type { KvOp, KvRead, KvResult } from './kv-machine.js';
import type { SimOptions } from './options.js';
import type { SimReplica } from './replica.js';
import type { Trace } from './trace.js';

export type OpFunction = 'get' | 'update' | 'create' | 'delete';

/** One client operation as the checker sees it. Ticks are the simulation's clock. */
export interface SimOpRecord {
  id: string;
  process: number;
  f: OpFunction;
  key: string;
  value?: number;
  ifVersion?: number;
  invokeTick: number;
  /** Undefined while pending; an `info` op never completes. */
  completeTick?: number;
  outcome: 'pending' | 'ok' | 'fail' | 'info';
  /** get: the value read (null when absent); writes: the result. */
  output?: KvRead | null | KvResult;
  /** fail: why it certainly did not take effect. */
  error?: string;
}

interface ClientState {
  process: number;
  seq: number;
  current: SimOpRecord | undefined;
  replicaId: string | undefined;
  deadlineTick: number;
  preferredReplica: string | undefined;
  lastVersion: Map<string, number>;
}

export class Workload {
  readonly history: SimOpRecord[] = [];
  private readonly clients: ClientState[] = [];
  private nextValue = 1;
  /** Clients start no new operations once stopped (the run is winding down). */
  stopped = false;
  /**
   * Route every operation to the leader some replica names, as the balancer does for writes
   * and linearizable reads. Set for the liveness phase: a read through a far-behind follower
   * waits for it to catch up, which under load and tiny AppendEntries may outlast any timeout
   * without anything being wrong.
   */
  routeToLeader = false;

  constructor(
    private readonly options: SimOptions,
    private readonly rng: Rng,
    private readonly replicas: ReadonlyMap<string, SimReplica>,
    private readonly trace: Trace,
  ) {
    for (let process = 0; process < options.clientCount; process++) {
      this.clients.push({
        process,
        seq: 0,
        current: undefined,
        replicaId: undefined,
        deadlineTick: 0,
        preferredReplica: undefined,
        lastVersion: new Map(),
      });
    }
  }

  /** Operations still waiting for an outcome. */
  get pendingCount(): number {
    return this.clients.filter((c) => c.current !== undefined).length;
  }

  step(tick: number): void {
    for (const client of this.clients) {
      if (client.current && tick >= client.deadlineTick) this.timeOut(client, tick);
      if (!client.current && !this.stopped && this.rng.nextFloat() < 0.5) this.start(client, tick);
    }
  }

  private start(client: ClientState, tick: number): void {
    const record = this.newRecord(client, tick);
    const replica = this.chooseReplica(client);
    this.history.push(record);
    client.current = record;
    client.replicaId = replica?.id;
    client.deadlineTick = tick + this.options.opTimeoutTicks;
    const describe = `${record.id} ${record.f} ${record.key}${record.value === undefined ? '' : `=${record.value}`}`;
    this.trace.add(tick, `c${client.process} invoke ${describe} via ${replica?.id ?? 'nobody'}`);
    if (!replica?.up) return this.fail(client, tick, 'Unavailable');
    try {
      if (record.f === 'get') {
        replica.read(record.id, record.key, (read) => this.complete(client, record, read));
      } else {
        replica.propose(this.toOp(record), (result) => this.complete(client, record, result));
      }
    } catch (error) {
      if (error instanceof ProposalDroppedError || error instanceof ReadIndexDroppedError) {
        // Like a NotLeader reply: a definite refusal that names the leader to try next.
        const leaderHint = replica.node?.status().leaderId ?? undefined;
        return this.fail(client, tick, `Dropped:${error.reason}`, leaderHint);
      }
      throw error;
    }
  }

  private newRecord(client: ClientState, tick: number): SimOpRecord {
    const key = `k${this.rng.nextInt(this.options.keyCount)}`;
    const id = `c${client.process}.${client.seq++}`;
    const base = {
      id,
      process: client.process,
      key,
      invokeTick: tick,
      outcome: 'pending' as const,
    };
    if (this.rng.nextFloat() < this.options.readShare) return { ...base, f: 'get' };
    const value = this.nextValue++;
    const roll = this.rng.nextFloat();
    if (roll < 0.15) return { ...base, f: 'create', value };
    if (roll < 0.3) return { ...base, f: 'delete', ...this.maybeIfVersion(client, key) };
    return { ...base, f: 'update', value, ...this.maybeIfVersion(client, key) };
  }

  private maybeIfVersion(client: ClientState, key: string): { ifVersion?: number } {
    if (this.rng.nextFloat() < 0.5) return {};
    return { ifVersion: client.lastVersion.get(key) ?? 0 };
  }

  private toOp(record: SimOpRecord): KvOp {
    const { id, key, value, ifVersion } = record;
    const cas = ifVersion === undefined ? {} : { ifVersion };
    if (record.f === 'create') return { id, f: 'create', key, value: value ?? 0 };
    if (record.f === 'delete') return { id, f: 'delete', key, ...cas };
    return { id, f: 'update', key, value: value ?? 0, ...cas };
  }

  private chooseReplica(client: ClientState): SimReplica | undefined {
    const ids = [...this.replicas.keys()];
    if (this.routeToLeader) {
      const asked = this.replicas.get(ids[this.rng.nextInt(ids.length)] ?? '');
      const leaderId = asked?.node?.status().leaderId;
      return (leaderId ? this.replicas.get(leaderId) : undefined) ?? asked;
    }
    const preferred = client.preferredReplica;
    const id =
      preferred && this.rng.nextFloat() < 0.8 ? preferred : ids[this.rng.nextInt(ids.length)];
    return id === undefined ? undefined : this.replicas.get(id);
  }

  private complete(
    client: ClientState,
    record: SimOpRecord,
    output: KvRead | null | KvResult,
  ): void {
    if (client.current !== record) return;
    // The callback runs inside the replica's tick; the op completes at that tick.
    const tick = this.currentTick;
    record.completeTick = tick;
    record.output = output;
    if (output !== null && 'ok' in output && !output.ok) {
      record.outcome = 'fail';
      record.error = output.code;
    } else {
      record.outcome = 'ok';
      if (output !== null && 'version' in output)
        client.lastVersion.set(record.key, output.version);
    }
    client.preferredReplica = client.replicaId;
    client.current = undefined;
    this.trace.add(
      tick,
      `c${client.process} ${record.outcome} ${record.id} ${JSON.stringify(output)}`,
    );
  }

  private fail(client: ClientState, tick: number, error: string, leaderHint?: string): void {
    const record = client.current;
    if (!record) return;
    record.outcome = 'fail';
    record.error = error;
    record.completeTick = tick;
    client.current = undefined;
    client.preferredReplica = leaderHint;
    this.trace.add(tick, `c${client.process} fail ${record.id} ${error}`);
  }

  private timeOut(client: ClientState, tick: number): void {
    const record = client.current;
    if (!record) return;
    record.outcome = 'info';
    if (client.replicaId) this.replicas.get(client.replicaId)?.forget(record.id);
    client.current = undefined;
    client.preferredReplica = undefined;
    this.trace.add(tick, `c${client.process} info ${record.id} (timed out)`);
  }

  /** Set by the simulator each tick so completions carry the right time. */
  currentTick = 0;
}
