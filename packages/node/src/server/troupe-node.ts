// The node process: opens the store, hosts a replica for every group placed here (shards and
// the meta group), and wires them to the network: the `raft` actor takes peers' batches, the
// `kv` actor takes client requests, the `admin` actor answers status and configuration
// changes, a ticker drives all groups, and the reconciler keeps groups matching placement.
// main.ts turns flags and signals into start() and stop(); tests may start it in-process.
import type { CampaignReply } from '@troupe/client/protocol';
import {
  ActorSystem,
  componentLogger,
  createLogger,
  exposureWarnings,
  type Logger,
  systemRng,
} from '@troupe/runtime';
import { clusterIdOf, parseInitialCluster } from '../meta/initial-cluster.js';
import { initialMetaState, type MetaState } from '../meta/meta-state.js';
import { MultiRaft } from '../replica/multi-raft.js';
import { type RaftBatch, raftBatchBytesMax } from '../replica/raft-wire.js';
import { NodeStore } from '../storage/node-store.js';
import { adminEndpoint, type GroupHash } from './admin-endpoint.js';
import { BalancerHeartbeats } from './balancer-heartbeats.js';
import { checkNodeConfig, type NodeConfig, NodeConfigError } from './config.js';
import { bootstrapGroup, groupsPlacedOn, type HostedGroup, openGroup } from './group-factory.js';
import { desiredReplicas, GroupReconciler } from './group-reconciler.js';
import { joinCluster } from './join.js';
import { kvEndpoint } from './kv-endpoint.js';
import { proposeMetaChange } from './meta-changes.js';
import { MetaFollower } from './meta-follower.js';
import { NodeHttp } from './node-http.js';
import { type NodeLogs, nodeLogs } from './node-logs.js';
import { NodeMetrics, type NodeMetricsSource } from './node-metrics.js';
import { groupStatus, type NodeStatus } from './node-status.js';
import { type GroupConfReply, OrphanReplicas } from './orphan-replicas.js';
import { raftEndpoint } from './raft-endpoint.js';

export class TroupeNode {
  private readonly groups = new Map<string, HostedGroup>();
  private readonly multi: MultiRaft;
  private readonly metrics: NodeMetrics;
  private readonly origin: string;
  private readonly logs: NodeLogs;
  private timers: { stop(): void }[] = [];
  private heartbeats: BalancerHeartbeats | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: NodeConfig,
    readonly clusterId: string,
    private readonly store: NodeStore,
    private meta: MetaState,
    private readonly system: ActorSystem,
    readonly log: Logger,
    private readonly http: NodeHttp,
  ) {
    this.origin = `${config.nodeId}/${Date.now().toString(36)}.${systemRng.nextInt(1e9)}`;
    this.logs = nodeLogs(log);
    this.metrics = new NodeMetrics(this.metricsSource());
    this.multi = new MultiRaft({
      nodeId: config.nodeId,
      clusterId,
      store,
      logger: this.logs.multiRaft,
      configVersion: () => this.meta.configVersion,
      send: (to, batch) => this.sendBatch(to, batch),
      onFatal: (error) => this.fatal(error),
      observer: this.metrics,
    });
  }

  /** Starts a node; throws NodeConfigError or DataDirError before serving anything. */
  static async start(config: NodeConfig, logger?: Logger): Promise<TroupeNode> {
    checkNodeConfig(config);
    const log = logger ?? rootLogger(config);
    warnAboutSecret(config, log);
    warnIfExposed(config, log);
    // Bootstrapping opens the store before listening, so a refused data dir never listens.
    const bootstrap = config.join === null ? initialCluster(config) : null;
    const preopened = bootstrap === null ? null : await openStore(config, bootstrap.meta, log);
    // The HTTP routes answer 503 until the node is up: the listener starts before it.
    const http = new NodeHttp(log);
    const system = await startSystem(config, log, http);
    let store = preopened;
    try {
      const meta = bootstrap?.meta ?? (await joinAs(system, config, log));
      store ??= await openStore(config, meta, log);
      const node = new TroupeNode(config, meta.clusterId, store, meta, system, log, http);
      await node.boot();
      return node;
    } catch (error) {
      await system.shutdown({ timeoutMs: 1_000 });
      await store?.close();
      throw error;
    }
  }

  get url(): string {
    const url = this.system.listenUrl;
    if (url === null) throw new NodeConfigError('node is not listening');
    return url;
  }

  private async boot(): Promise<void> {
    if (this.store.groupIds().length === 0 && this.config.join === null) this.bootstrap();
    for (const groupId of this.store.groupIds()) this.host(groupId);
    const hostedMeta = this.groups.get('meta');
    if (hostedMeta?.kind === 'meta') this.meta = hostedMeta.machine.state() ?? this.meta;
    this.syncGroupsWithMeta();
    this.spawnEndpoints();
    this.connectMembers();
    const tick = setInterval(() => this.multi.tick(), this.config.tickIntervalMs);
    this.timers.push({ stop: () => clearInterval(tick) });
    this.heartbeats = new BalancerHeartbeats(this.system, this.config, () => ({
      configVersion: this.meta.configVersion,
      groups: this.groupStatuses(),
    }));
    this.timers.push(this.heartbeats);
    this.timers.push(this.createReconciler());
    this.timers.push(
      new OrphanReplicas(
        this.system,
        this.logs.reconcile,
        () => ({ meta: this.meta, nodeId: this.config.nodeId, replicas: this.replicaMap() }),
        (groupId) => {
          if (this.groups.has(groupId)) this.retire(groupId);
        },
      ),
    );
    this.timers.push(
      new MetaFollower(
        this.system,
        this.logs.meta,
        () => this.meta,
        (m) => this.metaChanged(m),
      ),
    );
    this.campaignPreferred();
    this.http.serve({ status: () => this.status(), metrics: () => this.metrics.metrics() });
    this.log.info(
      { url: this.url, groups: this.groups.size, clusterId: this.clusterId },
      'node started',
    );
  }

  /** First start of a founding member: write every placed group's founding snapshot. */
  private bootstrap(): void {
    const placed = groupsPlacedOn(this.meta, this.config.nodeId);
    this.store.write(() => {
      for (const [groupId, voters] of placed) {
        bootstrapGroup(this.store.group(groupId), groupId, voters, this.meta);
      }
    });
    this.log.info({ groups: placed.size }, 'bootstrapped a new cluster member');
  }

  private host(groupId: string): void {
    const deps = {
      config: this.config,
      origin: this.origin,
      rng: systemRng,
      logger: this.logs.raft,
      onMetaChange: (state: MetaState) => this.metaChanged(state),
    };
    const group = openGroup(deps, groupId, this.store.group(groupId));
    this.groups.set(groupId, group);
    group.replica.onLeadershipChange = () => {
      this.metrics.leaderObserved(groupId, group.replica.leaderId);
      this.heartbeats?.beatSoon();
    };
    this.multi.add(group.replica);
  }

  /**
   * Hosts groups newly placed here (empty: the leader adds them and sends a snapshot) and
   * drops groups whose applied configuration no longer includes this node.
   */
  private syncGroupsWithMeta(): void {
    const placed = groupsPlacedOn(this.meta, this.config.nodeId);
    for (const groupId of placed.keys()) {
      if (!this.groups.has(groupId)) {
        this.logs.reconcile.info(
          { group: groupId },
          'hosting a new replica; waiting for its snapshot',
        );
        this.host(groupId);
      }
    }
    for (const [groupId, group] of this.groups) {
      if (placed.has(groupId) || group.replica.isInConfig(this.config.nodeId)) continue;
      this.retire(groupId);
    }
  }

  private retire(groupId: string): void {
    this.multi.remove(groupId, 'replica removed from its group');
    this.groups.delete(groupId);
    this.metrics.groupRemoved(groupId);
    this.store.write(() => this.store.group(groupId).destroy());
    this.logs.reconcile.info({ group: groupId }, 'replica removed from its group: data deleted');
  }

  private spawnEndpoints(): void {
    this.system.spawn('raft', () => raftEndpoint(this.raftHost(), this.logs.raft), {
      mailboxDepthMax: 4_096,
      logComponent: 'raft',
    });
    this.system.spawn('kv', () => kvEndpoint(this.kvHost()), { logComponent: 'kv' });
    this.system.spawn(
      'admin',
      () =>
        adminEndpoint({
          status: () => this.status(),
          stateHashes: () => this.stateHashes(),
          meta: () => this.meta,
          campaign: (groupId) => this.campaign(groupId),
          groupConf: (groupId) => this.groupConf(groupId),
          changeMeta: (request, reply) => proposeMetaChange(this.metaChangeHost(), request, reply),
        }),
      { logComponent: 'admin' },
    );
    this.system.onNodeDown((nodeId) => {
      for (const group of this.groups.values()) group.replica.reportUnreachable(nodeId);
    });
  }

  private connectMembers(): void {
    for (const member of this.meta.members) {
      if (member.id === this.config.nodeId || this.system.isConnected(member.id)) continue;
      const url = this.config.peerVia.get(member.id) ?? member.url;
      this.system.connect(url, { timeoutMs: 2_000 }).catch((error: unknown) => {
        this.logs.transport.debug(
          { peer: member.id, err: error },
          'peer not reachable yet; redialling',
        );
      });
    }
  }

  private replicaMap(): Map<string, HostedGroup['replica']> {
    return new Map([...this.groups].map(([id, group]) => [id, group.replica]));
  }

  private createReconciler(): GroupReconciler {
    const replicas = (): Map<string, HostedGroup['replica']> => this.replicaMap();
    return new GroupReconciler(
      this.system,
      this.logs.reconcile,
      () => ({ meta: this.meta, nodeId: this.config.nodeId, replicas: replicas() }),
      (acted) => {
        // Also retires replicas whose removal committed since the last round.
        this.syncGroupsWithMeta();
        if (acted) this.multi.schedule();
      },
    );
  }

  private raftHost() {
    return {
      clusterId: this.clusterId,
      nodeId: this.config.nodeId,
      isMember: (nodeId: string) => this.meta.members.some((m) => m.id === nodeId),
      step: (groupId: string, message: Parameters<MultiRaft['step']>[1]) =>
        this.multi.step(groupId, message),
    };
  }

  private kvHost() {
    return {
      wallClockMs: () => Date.now(),
      shardCount: () => this.meta.shardCount,
      shard: (shard: number) => {
        const group = this.groups.get(`s${shard}`);
        return group?.kind === 'shard' ? group : undefined;
      },
      urlOf: (nodeId: string) => this.urlOf(nodeId),
      someReplicaOf: (shard: number) =>
        this.meta.shards.find((s) => s.shard === shard)?.replicas[0] ?? null,
      writesAllowed: () => this.store.writesAllowed(),
      observer: this.metrics,
    };
  }

  private metricsSource(): NodeMetricsSource {
    return {
      groups: () =>
        [...this.groups.entries()].map(([groupId, { replica }]) => ({
          groupId,
          status: replica.status(),
          pending: replica.pendingCounts(),
        })),
      work: () => this.multi,
      store: () => ({ usedBytes: this.store.usedBytes(), fileBytes: this.store.fileBytes() }),
      outboundQueues: () => this.system.outboundQueues(),
      mailboxes: () => this.system.mailboxDepths(),
    };
  }

  private metaChangeHost() {
    return {
      metaReplica: () => this.groups.get('meta')?.replica,
      meta: () => this.meta,
      urlOf: (nodeId: string) => this.urlOf(nodeId),
    };
  }

  private urlOf(nodeId: string): string | null {
    return this.meta.members.find((m) => m.id === nodeId)?.url ?? null;
  }

  private groupConf(groupId: string): GroupConfReply {
    const group = this.groups.get(groupId);
    if (group === undefined) return { ok: false };
    const { voters, learners } = group.replica.status().confState;
    return { ok: true, voters, learners };
  }

  private campaign(groupId: string): CampaignReply {
    const group = this.groups.get(groupId);
    if (group === undefined) {
      return { ok: false, code: 'TROUPE_ERR_UNKNOWN_GROUP', message: `no replica of ${groupId}` };
    }
    return group.replica.campaignNow((nodeId) => this.system.isConnected(nodeId));
  }

  status(): NodeStatus {
    return {
      nodeId: this.config.nodeId,
      zone: this.config.zone,
      url: this.system.listenUrl,
      clusterId: this.clusterId,
      configVersion: this.meta.configVersion,
      usedBytes: this.store.usedBytes(),
      writesAllowed: this.store.writesAllowed(),
      turns: this.multi.turns,
      durableWrites: this.multi.durableWrites,
      applyOnlyWrites: this.multi.applyOnlyWrites,
      groups: this.groupStatuses(),
    };
  }

  private groupStatuses() {
    return [...this.groups.values()].map((group) => groupStatus(group.replica));
  }

  stateHashes(): Record<string, GroupHash> {
    const hashes: Record<string, GroupHash> = {};
    for (const [groupId, group] of this.groups) {
      const applied = group.replica.status().applied;
      hashes[groupId] = { applied, hash: group.machine.stateHash() };
    }
    return hashes;
  }

  /** Preferred leaders campaign at once instead of waiting out an election timeout. */
  private campaignPreferred(): void {
    for (const [groupId, group] of this.groups) {
      const preferred = desiredReplicas(this.meta, groupId)?.[0];
      if (preferred === this.config.nodeId) group.replica.campaign();
    }
    this.multi.schedule();
  }

  private sendBatch(to: string, batch: RaftBatch): void {
    try {
      this.system.ref(to, 'raft').tell(batch, this.system.ref(this.config.nodeId, 'raft'));
    } catch {
      // Peer down or its queue full: Raft resends what matters; stop pipelining to it.
      for (const group of this.groups.values()) group.replica.reportUnreachable(to);
    }
  }

  private metaChanged(state: MetaState): void {
    if (state.configVersion <= this.meta.configVersion && state !== this.meta) return;
    this.meta = state;
    this.logs.meta.info({ configVersion: state.configVersion }, 'cluster configuration changed');
    // Hosting changes wait for the end of the turn that applied the change.
    setImmediate(() => {
      this.connectMembers();
      this.syncGroupsWithMeta();
    });
  }

  private fatal(error: unknown): void {
    this.log.fatal({ err: error }, 'could not make a turn durable: stopping the process');
    // Raft tolerates a crashed replica; it does not tolerate one that forgets what it acked.
    process.exit(70);
  }

  /** Stops serving, fails what is in flight, closes connections and the store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.http.stop();
    for (const timer of this.timers) timer.stop();
    this.multi.stop('node shutting down');
    await this.system.shutdown({ timeoutMs: 2_000 });
    await this.store.close();
    this.log.info('node stopped');
  }
}

/** The process's root logger, at the levels and in the format the flags chose. */
function rootLogger(config: NodeConfig): Logger {
  return createLogger({
    base: { nodeId: config.nodeId },
    level: config.logLevel,
    ...(config.logFormat === null ? {} : { format: config.logFormat }),
  });
}

function initialCluster(config: NodeConfig): { meta: MetaState } {
  if (config.initialCluster === null) throw new NodeConfigError('--initial-cluster is required');
  const members = parseInitialCluster(config.initialCluster);
  const self = members.find((member) => member.id === config.nodeId);
  if (self === undefined) {
    throw new NodeConfigError(`--initial-cluster does not list this node (${config.nodeId})`);
  }
  if (self.zone !== config.zone && config.zone !== 'default') {
    throw new NodeConfigError(
      `--zone ${config.zone} differs from --initial-cluster (${self.zone})`,
    );
  }
  const selfUrl = `ws://${config.listenHost}:${config.listenPort}`;
  if (self.url !== selfUrl) {
    throw new NodeConfigError(`--initial-cluster lists ${self.url} for this node, not ${selfUrl}`);
  }
  const clusterId = clusterIdOf(members, config.initialClusterToken);
  const meta = initialMetaState({
    clusterId,
    members,
    shardCount: config.shardCount,
    replicationFactor: config.replicationFactor,
  });
  return { meta };
}

async function openStore(config: NodeConfig, meta: MetaState, log: Logger): Promise<NodeStore> {
  return NodeStore.open({
    dataDir: config.dataDir,
    clusterId: meta.clusterId,
    nodeId: config.nodeId,
    storageBytesMax: config.storageBytesMax,
    logger: componentLogger(log, 'store'),
  });
}

/** A secret file others can read is worth one warning; no secret at all, one info line. */
function warnAboutSecret(config: NodeConfig, log: Logger): void {
  const secret = config.clusterSecret;
  if (secret === null) log.info('no cluster secret: any peer that can reach the port is let in');
  else if (secret.warning !== null) log.warn(secret.warning);
}

/** Off loopback, a node without TLS or a secret says so loudly, once (exposure.ts). */
function warnIfExposed(config: NodeConfig, log: Logger): void {
  const exposure = {
    what: 'node',
    host: config.listenHost,
    port: config.listenPort,
    tls: config.tls != null,
    secret: config.clusterSecret !== null,
  };
  for (const line of exposureWarnings(exposure)) log.warn(line);
}

function startSystem(config: NodeConfig, log: Logger, http: NodeHttp): Promise<ActorSystem> {
  return ActorSystem.start({
    nodeId: config.nodeId,
    listen: { host: config.listenHost, port: config.listenPort },
    role: 'node',
    logger: log,
    httpHandler: http.handler,
    // A turn's batch to one peer can carry several full appends (raft-wire.ts bounds it).
    limits: {
      envelopeBytesMax: raftBatchBytesMax + 64 * 1024,
      frameBytesMax: 2 * raftBatchBytesMax,
      connectionsPerAddressMax: config.connectionsPerAddressMax,
      connectionRatePerAddressPerS: config.connectionRatePerAddressPerS,
      idleTimeoutMs: config.idleTimeoutMs,
    },
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    ...(config.tls == null ? {} : { tls: config.tls }),
    ...(config.clusterSecret === null ? {} : { secret: config.clusterSecret.key }),
  });
}

function joinAs(system: ActorSystem, config: NodeConfig, log: Logger): Promise<MetaState> {
  // Members are addresses in ws:// form even under TLS, which decides the scheme when dialling.
  const listenUrl = system.listenUrl?.replace(/^wss:/, 'ws:');
  const url = listenUrl ?? `ws://${config.listenHost}:${config.listenPort}`;
  const member = { id: config.nodeId, url, zone: config.zone };
  return joinCluster(system, config.join ?? '', member, componentLogger(log, 'meta'));
}
