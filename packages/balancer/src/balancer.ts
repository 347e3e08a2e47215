// A balancer process: a stateless router between clients and the cluster. It dials the seed
// nodes (role 'balancer' in the handshake, so nodes heartbeat it), learns the meta
// configuration, dials every member, and keeps a ClusterView from meta and heartbeats. Client
// requests are routed by key -> shard -> leader; a lost leader triggers a fast failover; a node
// down past the grace period has its replicas moved. Several balancers can run at once: they
// share nothing but what the nodes tell them, and any can die.
import type {
  BalancerWelcome,
  CampaignReply,
  ChangeReply,
  KvReply,
  KvRequest,
  MetaView,
  NodeHeartbeat,
} from '@troupe/client/protocol';
import { balancerHealthActor, requestsPerFrameMax } from '@troupe/client/protocol';
import {
  ActorSystem,
  createLogger,
  exposureWarnings,
  type Logger,
  loadTls,
  type TlsMaterial,
} from '@troupe/runtime';
import { ActivityRecorder } from './activity/activity.js';
import { type BalancerLogs, balancerLogs } from './balancer-logs.js';
import { ClientListener } from './client/client-listener.js';
import { ClusterView, type LeaderChange } from './cluster/cluster-view.js';
import { healthEndpoint } from './cluster/health-endpoint.js';
import { NodeHealth } from './cluster/node-health.js';
import { type BalancerConfig, checkBalancerConfig, unsafeSettings } from './config.js';
import { Failover } from './failover/failover.js';
import { underReplicatedShards } from './failover/replica-move.js';
import { Rereplicator } from './failover/rereplicator.js';
import { loadDashboardFiles } from './http/dashboard-files.js';
import { httpHandler } from './http/http-routes.js';
import { BalancerMetrics } from './http/metrics.js';
import { type BalancerStatus, buildStatus } from './http/status.js';
import { HoldQueue } from './routing/hold-queue.js';
import { LatencyTracker } from './routing/latency.js';
import { Router } from './routing/router.js';

const suspicionCheckMs = 20;
const metaPollMs = 2_000;
const campaignTimeoutMs = 1_000;
const changeTimeoutMs = 5_000;

/**
 * Said once at start, at warn so the default level keeps it: someone reading the logs of a
 * misbehaving cluster must not have to guess that the balancer was told to misbehave.
 */
function warnIfUnsafe(config: BalancerConfig, log: Logger): void {
  const unsafe = unsafeSettings(config);
  if (unsafe.length === 0) return;
  log.warn(
    { unsafe },
    'UNSAFE DEBUG FLAGS ON: linearizability is broken on purpose (linearizable gets are ' +
      'served by followers without ReadIndex and may return stale data); for testing the ' +
      'chaos checker only, never in production',
  );
}

/** Off loopback, a listener without TLS (or the peer one without a secret) warns once. */
function warnIfExposed(config: BalancerConfig, log: Logger): void {
  const clients = {
    what: 'balancer client listener',
    host: config.listenHost,
    port: config.listenPort,
    tls: config.clientTls != null,
    secret: null,
  };
  const lines = exposureWarnings(clients);
  if (config.peerListen !== null) {
    const peers = { what: 'balancer peer listener', ...config.peerListen };
    const secret = config.clusterSecret !== null;
    lines.push(...exposureWarnings({ ...peers, tls: config.tls != null, secret }));
  }
  for (const line of lines) log.warn(line);
}

/** The process's root logger, at the levels and in the format the flags chose. */
function rootLogger(config: BalancerConfig): Logger {
  return createLogger({
    base: { balancer: config.balancerId },
    level: config.logLevel,
    ...(config.logFormat === null ? {} : { format: config.logFormat }),
  });
}

export class TroupeBalancer {
  readonly view = new ClusterView();
  readonly metrics: BalancerMetrics;
  /** Recent requests, leader changes and failovers, for the dashboard (GET /activity). */
  readonly activity = new ActivityRecorder();
  private readonly health: NodeHealth;
  private readonly hold: HoldQueue;
  private readonly latency = new LatencyTracker();
  private readonly router: Router;
  private readonly failover: Failover;
  private readonly rereplicator: Rereplicator;
  private readonly listener: ClientListener;
  private readonly logs: BalancerLogs;
  private readonly requestsByNode = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAtMs = Date.now();
  private portValue = 0;
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: BalancerConfig,
    private readonly system: ActorSystem,
    readonly log: Logger,
    private readonly clientTls: TlsMaterial | undefined,
  ) {
    this.logs = balancerLogs(log);
    const now = (): number => Date.now();
    this.health = new NodeHealth({
      threshold: config.phiThreshold,
      acceptablePauseMs: config.phiAcceptablePauseMs,
      minStdDevMs: 50,
      firstHeartbeatEstimateMs: 100,
    });
    this.hold = new HoldQueue(config.heldRequestsMax);
    this.metrics = new BalancerMetrics(this.metricsSource());
    this.router = this.createRouter(now);
    this.failover = this.createFailover(now);
    this.rereplicator = this.createRereplicator(now);
    this.listener = this.createListener();
  }

  static async start(input: BalancerConfig, logger?: Logger): Promise<TroupeBalancer> {
    const config = checkBalancerConfig(input);
    const log = logger ?? rootLogger(config);
    warnIfUnsafe(config, log);
    warnIfExposed(config, log);
    // Read before anything listens: a bad file fails start with nothing to clean up.
    const clientTls = config.clientTls == null ? undefined : loadTls(config.clientTls);
    for (const secret of [config.clusterSecret, config.clientTokenKey]) {
      if (secret?.warning) log.warn(secret.warning);
    }
    const system = await ActorSystem.start({
      nodeId: config.balancerId,
      role: 'balancer',
      logger: log,
      ...(config.peerListen === null ? {} : { listen: config.peerListen }),
      limits: {
        connectionsPerAddressMax: config.connectionsPerAddressMax,
        connectionRatePerAddressPerS: config.connectionRatePerAddressPerS,
        idleTimeoutMs: config.idleTimeoutMs,
      },
      ...(config.clusterSecret === null ? {} : { secret: config.clusterSecret.key }),
      ...(config.tls == null ? {} : { tls: config.tls }),
    });
    const balancer = new TroupeBalancer(config, system, log, clientTls);
    try {
      await balancer.boot();
    } catch (error) {
      await balancer.stop();
      throw error;
    }
    return balancer;
  }

  /** `ws://host:port` of the client listener, `wss://` with TLS. */
  get url(): string {
    const scheme = this.clientTls === undefined ? 'ws' : 'wss';
    return `${scheme}://${this.config.listenHost}:${this.portValue}`;
  }

  get port(): number {
    return this.portValue;
  }

  /** Where nodes dial in (`--balancer` on the node), when `--peer-listen` is set. */
  get peerUrl(): string | null {
    return this.system.listenUrl;
  }

  status(): BalancerStatus {
    const nowMs = Date.now();
    return buildStatus({
      balancerId: this.config.balancerId,
      startedAtMs: this.startedAtMs,
      nowMs,
      view: this.view,
      phiOf: (id) => this.health.phi(id, nowMs),
      isGone: (id) => this.rereplicator.isGone(id),
      heldFor: (groupId) => this.hold.sizeOf(groupId),
      requestsTo: (id) => this.requestsByNode.get(id) ?? 0,
      clients: { connections: this.listener.connections.size, inflight: this.listener.inflight },
      failoversInProgress: this.failover.inProgress,
      unsafe: unsafeSettings(this.config),
    });
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      this.failover.stop();
      this.rereplicator.stop();
      this.hold.releaseAll();
      await this.listener.close();
      await this.system.shutdown({ timeoutMs: 1_000 });
      this.log.info('balancer stopped');
    })();
    return this.stopping;
  }

  private async boot(): Promise<void> {
    this.system.spawn(
      balancerHealthActor,
      () =>
        healthEndpoint(
          (beat) => this.onHeartbeat(beat),
          this.logs.health,
          () => Date.now(),
        ),
      { mailboxDepthMax: 4_096, logComponent: 'health' },
    );
    this.system.onNodeUp((nodeId, peer) => {
      if (peer.role === 'node') this.onNodeUp(nodeId);
    });
    this.system.onNodeDown((nodeId) => this.onConnectionLost(nodeId));
    this.timers.push(setInterval(() => this.checkSuspicion(), suspicionCheckMs));
    this.timers.push(setInterval(() => void this.refreshMeta(), metaPollMs));
    this.portValue = await this.listener.listen();
    const reached = await Promise.all(
      this.config.seeds.map((url) =>
        this.system.connect(url, { timeoutMs: 5_000 }).catch((error: unknown) => {
          this.log.warn({ seed: url, err: error }, 'seed not reachable yet; redialling');
          return null;
        }),
      ),
    );
    if (reached.length > 0 && reached.every((id) => id === null)) {
      this.log.warn('no seed reachable; still trying');
    }
    await this.refreshMeta();
    this.log.info({ url: this.url, seeds: this.config.seeds }, 'balancer started');
  }

  private onNodeUp(nodeId: string): void {
    this.view.nodeUp(nodeId, Date.now());
    this.releaseReachable();
    if (this.view.meta === null) void this.refreshMeta();
  }

  private onConnectionLost(nodeId: string): void {
    if (!this.view.nodes.has(nodeId)) return;
    this.health.forget(nodeId);
    const lost = this.view.nodeDown(nodeId, Date.now(), true);
    this.router.abandon(nodeId, 'connection closed');
    this.logs.health.info({ node: nodeId, leadersLost: lost.length }, 'node connection lost');
    this.leadersLost(lost);
  }

  private checkSuspicion(): void {
    const nowMs = Date.now();
    for (const nodeId of this.health.newlySuspected(nowMs)) {
      const lost = this.view.nodeDown(nodeId, nowMs, false);
      this.router.abandon(nodeId, 'suspected by phi-accrual');
      this.logs.health.warn(
        { node: nodeId, phi: this.health.phi(nodeId, nowMs) },
        'node suspected',
      );
      this.leadersLost(lost);
    }
  }

  private leadersLost(changes: readonly LeaderChange[]): void {
    this.metrics.leaderChanges.inc(changes.length);
    this.activity.leaderChanges(Date.now(), changes);
    if (this.config.fastFailover) this.failover.leadersLost(changes);
  }

  private onHeartbeat(beat: NodeHeartbeat): void {
    const nowMs = Date.now();
    this.health.heartbeat(beat.nodeId, nowMs);
    if (this.system.isConnected(beat.nodeId)) this.view.nodeUp(beat.nodeId, nowMs);
    const changes = this.view.applyHeartbeat(beat, nowMs);
    if (changes.length > 0) this.leadersChanged(changes);
    this.releaseReachable();
    const known = this.view.meta?.configVersion ?? 0;
    if (beat.configVersion > known) void this.refreshMeta(beat.nodeId);
  }

  /**
   * Releases held requests of every group whose leader is reachable now. A leader change may
   * have been seen while its node did not count as up yet (connected, beating); when the node
   * comes up the leader does not change again, so waiting for a change would strand them.
   */
  private releaseReachable(): void {
    for (const groupId of this.hold.waitingGroups()) {
      if (this.view.leaderOf(groupId) !== null) this.hold.release(groupId);
    }
  }

  private leadersChanged(changes: readonly LeaderChange[]): void {
    this.metrics.leaderChanges.inc(changes.length);
    this.activity.leaderChanges(Date.now(), changes);
    this.failover.onLeaderChanges(changes);
    for (const change of changes) if (change.to !== null) this.hold.release(change.groupId);
    for (const nodeId of this.view.unreachableLeaders(changes)) {
      this.logs.router.debug({ node: nodeId }, 'a leader we cannot reach yet: dialling it now');
      this.system.redialNow(nodeId);
    }
  }

  /** Reads the meta configuration from `from` (or any reachable node) and dials new members. */
  private async refreshMeta(from?: string): Promise<void> {
    const target =
      from ??
      [...this.view.nodes.keys()].find((id) => this.system.isConnected(id)) ??
      this.system.peers().find((p) => p.role === 'node')?.nodeId;
    if (target === undefined) return;
    try {
      const meta = (await this.system
        .ref(target, 'admin')
        .ask({ type: 'meta' }, { timeoutMs: changeTimeoutMs })) as MetaView;
      if (this.view.applyMeta(meta, Date.now())) this.onMetaChanged(meta);
    } catch (error) {
      this.logs.router.debug({ node: target, err: error }, 'meta refresh failed');
    }
  }

  private onMetaChanged(meta: MetaView): void {
    this.logs.router.info({ configVersion: meta.configVersion }, 'cluster configuration learned');
    for (const member of meta.members) {
      if (this.system.isConnected(member.id)) {
        this.view.nodeUp(member.id, Date.now());
        continue;
      }
      const url = this.config.peerVia.get(member.id) ?? member.url;
      this.system.connect(url, { timeoutMs: 2_000 }).catch(() => {
        // The link keeps redialling in the background.
      });
    }
  }

  private welcome(): BalancerWelcome | null {
    const meta = this.view.meta;
    if (meta === null) return null;
    return {
      type: 'welcome',
      proto: 1,
      balancerId: this.config.balancerId,
      shardCount: meta.shardCount,
      inflightMax: this.config.clientInflightMax,
      requestsPerFrameMax,
      frameBytesMax: this.config.frameBytesMax,
      keyBytesMax: this.config.keyBytesMax,
      valueBytesMax: this.config.valueBytesMax,
    };
  }

  private createRouter(nowMs: () => number): Router {
    const deps = {
      view: this.view,
      hold: this.hold,
      latency: this.latency,
      nowMs,
      isConnected: (nodeId: string) => this.system.isConnected(nodeId),
      ask: (nodeId: string, request: KvRequest, timeoutMs: number) =>
        this.system.ref(nodeId, 'kv').ask(request, { timeoutMs }) as Promise<KvReply>,
      hooks: {
        attempted: (nodeId: string, _latencyMs: number, outcome: string) => {
          this.requestsByNode.set(nodeId, (this.requestsByNode.get(nodeId) ?? 0) + 1);
          this.metrics.nodeRequests.inc({ node: nodeId, outcome });
        },
        retried: (reason: string) => this.metrics.retries.inc({ reason }),
      },
    };
    return new Router(deps, {
      attemptTimeoutMs: this.config.attemptTimeoutMs,
      retryDelayMs: 20,
      attemptsMax: 200,
      unsafeLinearizableReadsFromFollowers: this.config.unsafeLinearizableReadsFromFollowers,
    });
  }

  private createFailover(nowMs: () => number): Failover {
    const campaign = (nodeId: string, groupId: string) =>
      this.system
        .ref(nodeId, 'admin')
        .ask(
          { type: 'campaign', groupId },
          { timeoutMs: campaignTimeoutMs },
        ) as Promise<CampaignReply>;
    return new Failover(
      this.view,
      campaign,
      nowMs,
      this.logs.failover,
      {
        started: (groupId, formerLeader) => {
          this.metrics.failovers.inc();
          this.activity.failoverStarted(nowMs(), groupId, formerLeader);
        },
        finished: (groupId, leaderId, elapsedMs) => {
          this.metrics.failoverSeconds.observe(elapsedMs / 1_000);
          this.activity.failoverFinished(groupId, leaderId, elapsedMs);
        },
        campaignAsked: (_nodeId, outcome) => this.metrics.campaignRequests.inc({ outcome }),
      },
      { retryMs: 300, attemptsMax: 3 },
    );
  }

  private createRereplicator(nowMs: () => number): Rereplicator {
    const ask = (nodeId: string, request: unknown) =>
      this.system
        .ref(nodeId, 'admin')
        .ask(request, { timeoutMs: changeTimeoutMs }) as Promise<ChangeReply>;
    return new Rereplicator(
      this.view,
      ask,
      nowMs,
      this.logs.rereplicate,
      {
        moved: (_move, outcome) => this.metrics.replicaMoves.inc({ outcome }),
        metaStale: () => void this.refreshMeta(),
      },
      { graceMs: this.config.graceMs, intervalMs: 1_000 },
    );
  }

  private createListener(): ClientListener {
    const c = this.config;
    const deps = {
      route: (request: KvRequest, timeoutMs: number) =>
        this.router.route(request, Math.min(timeoutMs, 120_000)),
      welcome: () => this.welcome(),
      tokenKey: c.clientTokenKey?.key ?? null,
      limits: {
        inflightMax: c.clientInflightMax,
        handshakeTimeoutMs: c.clientHelloTimeoutMs,
        requestTimeoutMsDefault: c.requestTimeoutMs,
        outboundPauseBytes: c.clientOutboundPauseBytes,
        slowConsumerBytes: c.slowConsumerBytes,
        idleTimeoutMs: c.idleTimeoutMs,
        keyBytesMax: c.keyBytesMax,
        valueBytesMax: c.valueBytesMax,
      },
      logger: this.logs.clients,
      hooks: {
        requestFinished: (op: string, code: string, seconds: number) => {
          this.metrics.requests.inc({ op, outcome: code });
          this.metrics.requestSeconds.observe({ op }, seconds);
          this.activity.requestFinished(Date.now(), code, seconds * 1_000);
        },
        rejected: (reason: string) => this.metrics.clientRejections.inc({ reason }),
        inflightChanged: () => {},
      },
    };
    const listen = {
      host: c.listenHost,
      port: c.listenPort,
      frameBytesMax: c.frameBytesMax,
      connectionsMax: c.clientConnectionsMax,
      connectionsPerAddressMax: c.connectionsPerAddressMax,
      connectionRatePerAddressPerS: c.connectionRatePerAddressPerS,
      upgradeTimeoutMs: c.clientHelloTimeoutMs,
      tls: this.clientTls,
    };
    const http = httpHandler(this.httpSource(), this.logs.http, loadDashboardFiles(this.logs.http));
    return new ClientListener(listen, deps, http, this.logs.clients);
  }

  private httpSource() {
    return {
      healthy: () => {
        if (this.view.meta === null) return { ok: false, reason: 'cluster not learned yet' };
        const up = [...this.view.nodes.keys()].filter((id) => this.view.isUp(id)).length;
        return up > 0
          ? { ok: true, reason: `ok: ${up} nodes up` }
          : { ok: false, reason: 'no node reachable' };
      },
      status: () => this.status(),
      activity: () => this.activity.snapshot(Date.now()),
      metrics: async () => ({
        contentType: this.metrics.registry.contentType,
        body: await this.metrics.registry.metrics(),
      }),
    };
  }

  private metricsSource() {
    return {
      nodes: () => {
        const nowMs = Date.now();
        const leaders = this.view.leaderCounts();
        return [...this.view.nodes.keys()].map((id) => ({
          id,
          phi: this.health.phi(id, nowMs),
          up: this.view.isUp(id),
          leaders: leaders.get(id) ?? 0,
        }));
      },
      heldRequests: () => this.hold.size,
      inflightRequests: () => this.listener.inflight,
      clientConnections: () => this.listener.connections.size,
      failoversInProgress: () => this.failover.inProgress,
      shardsUnderReplicated: () => {
        const meta = this.view.meta;
        return meta === null ? 0 : underReplicatedShards(meta, (id) => !this.view.isUp(id)).length;
      },
    };
  }
}
