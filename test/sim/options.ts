// Simulation parameters, all derived from one seed ("swarm testing": each seed picks its own
// mix of faults, so thousands of seeds explore far more combinations than one fixed profile).
// Printed first on every run, so a failing seed can be read before it is replayed.
import type { CommitBroadcast, RaftTestingFaults } from '@troupe/node/raft';
import { createSeededRng } from '@troupe/runtime/rng';

export interface NetworkOptions {
  /** Probability that a message is lost. */
  lossRate: number;
  /** Probability that a message is delivered twice. */
  duplicateRate: number;
  /** Messages take 0..delayTicksMax ticks; different delays reorder them. */
  delayTicksMax: number;
  /** Per-tick probability that a new partition starts (when none is active). */
  partitionRate: number;
  /** How long a partition lasts at most. */
  partitionTicksMax: number;
  /** Share of partitions that are one-way (A hears B, B does not hear A). */
  oneWayShare: number;
  /** Per-tick probability that one link is clogged (messages held, then released at once). */
  clogRate: number;
  clogTicksMax: number;
}

export interface SimOptions {
  seed: number;
  nodeCount: number;
  clientCount: number;
  keyCount: number;
  /** Ticks with faults on. */
  safetyTicks: number;
  /** Ticks after every fault heals in which all client operations must complete. */
  livenessTicks: number;
  opTimeoutTicks: number;
  /** Share of client operations that are linearizable reads. */
  readShare: number;
  network: NetworkOptions;
  /** Per-tick probability that an up node crashes (losing what it had not persisted). */
  crashRate: number;
  /** Per-tick probability that the current leader, specifically, crashes. */
  leaderCrashRate: number;
  /**
   * Per-tick probability that a node is paused (a GC pause, SIGSTOP, a frozen VM): it neither
   * ticks nor processes anything, messages to it wait, and it resumes believing what it did.
   */
  pauseRate: number;
  pauseTicksMax: number;
  downTicksMax: number;
  /** Probability that one Ready's fsync is slow, and by how much. */
  slowDiskRate: number;
  slowDiskTicksMax: number;
  /** Per-tick probability of asking the leader to transfer leadership. */
  transferRate: number;
  /** Applied entries between snapshots (and log compactions). */
  snapshotEveryEntries: number;
  /** Bytes per AppendEntries; tiny values make followers catch up one entry at a time. */
  appendBytesMax: number;
  /** AppendEntries in flight per follower. */
  inflightMessagesMax: number;
  /** How followers learn of commits: at once (etcd) or with the next App or heartbeat. */
  commitBroadcast: CommitBroadcast;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  /** Deliberately broken Raft behaviour, for proving the checkers catch it. */
  faults: Partial<RaftTestingFaults>;
}

/** Derives every parameter from `seed`; `overrides` pin some of them (tests, replays). */
export function swarm(seed: number, overrides: Partial<SimOptions> = {}): SimOptions {
  const rng = createSeededRng(seed ^ 0x5eed);
  const pick = <T>(choices: readonly T[]): T => choices[rng.nextInt(choices.length)] as T;
  const network: NetworkOptions = {
    lossRate: pick([0, 0.01, 0.05, 0.15]),
    duplicateRate: pick([0, 0.01, 0.05]),
    delayTicksMax: pick([0, 1, 3, 6]),
    partitionRate: pick([0, 0.01, 0.03]),
    partitionTicksMax: pick([10, 40, 100]),
    oneWayShare: pick([0, 0.3]),
    clogRate: pick([0, 0.02]),
    clogTicksMax: pick([5, 20]),
  };
  return {
    seed,
    nodeCount: pick([3, 3, 5]),
    clientCount: pick([2, 4, 6]),
    keyCount: pick([2, 4, 8]),
    safetyTicks: pick([300, 600, 1_000]),
    livenessTicks: 400,
    opTimeoutTicks: pick([30, 60]),
    readShare: pick([0.2, 0.5]),
    network,
    crashRate: pick([0, 0.002, 0.01]),
    leaderCrashRate: pick([0, 0, 0.005, 0.02]),
    pauseRate: pick([0, 0.005, 0.02]),
    pauseTicksMax: pick([10, 40, 100]),
    downTicksMax: pick([5, 30, 80]),
    slowDiskRate: pick([0, 0.05, 0.2]),
    slowDiskTicksMax: pick([1, 3, 8]),
    transferRate: pick([0, 0.005]),
    snapshotEveryEntries: pick([5, 20, 1_000]),
    appendBytesMax: pick([200, 4_096, 1_048_576]),
    inflightMessagesMax: pick([1, 4, 256]),
    // Picked last so that every earlier parameter of a seed is what it was before.
    commitBroadcast: pick(['eager', 'lazy'] as const),
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 1,
    faults: {},
    ...overrides,
  };
}

/** One line naming every parameter. */
export function describeOptions(o: SimOptions): string {
  const n = o.network;
  const faults = Object.entries(o.faults)
    .filter(([, on]) => on)
    .map(([name]) => name);
  return [
    `SEED=${o.seed}`,
    `nodes=${o.nodeCount} clients=${o.clientCount} keys=${o.keyCount}`,
    `ticks=${o.safetyTicks}+${o.livenessTicks} opTimeout=${o.opTimeoutTicks} reads=${o.readShare}`,
    `loss=${n.lossRate} dup=${n.duplicateRate} delay<=${n.delayTicksMax}`,
    `partition=${n.partitionRate}x${n.partitionTicksMax} oneWay=${n.oneWayShare}`,
    `clog=${n.clogRate}x${n.clogTicksMax} crash=${o.crashRate}`,
    `leaderCrash=${o.leaderCrashRate} down<=${o.downTicksMax}`,
    `pause=${o.pauseRate}x${o.pauseTicksMax}`,
    `slowDisk=${o.slowDiskRate}x${o.slowDiskTicksMax} transfer=${o.transferRate}`,
    `snapshotEvery=${o.snapshotEveryEntries} append<=${o.appendBytesMax}B inflight<=${o.inflightMessagesMax}`,
    `commit=${o.commitBroadcast}`,
    faults.length > 0 ? `BROKEN=${faults.join(',')}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}
