// The actor system: one per process. It owns the local actors, the transport to other
// systems, pending asks and watches. Refs are location transparent: tell and ask behave the
// same for a local and a remote actor, deadlines and typed errors included.
import { assert } from '../assert.js';
import { SecretKey } from '../auth/secret.js';
import type { PhiAccrualOptions } from '../detect/phi-accrual.js';
import {
  ActorNotFoundError,
  DuplicateActorError,
  InvalidMessageError,
  PeerUnavailableError,
  SystemStoppedError,
} from '../errors.js';
import { checkLimits, defaultLimits, type RuntimeLimits } from '../limits.js';
import { componentLogger, createLogger, type Logger } from '../log.js';
import { type BackoffPolicy, defaultReconnectBackoff } from '../time/backoff.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { type Rng, systemRng } from '../time/rng.js';
import { systemClock } from '../time/system-clock.js';
import { loadTls, type TlsSettings } from '../transport/tls.js';
import type {
  HttpHandler,
  OutboundQueueInfo,
  PeerInfo,
  Transport,
} from '../transport/transport.js';
import { WsTransport } from '../transport/ws-transport.js';
import type { Envelope, TerminatedReason } from '../wire/envelope.js';
import { isValidActorName, isValidNodeId } from '../wire/names.js';
import { AskTable } from './ask-table.js';
import { ActorCell, type CellHost } from './cell.js';
import { type ContextHost, createContext } from './context.js';
import { handleInbound, type InboundDeps } from './inbound.js';
import { type ActorAddress, ActorRef, type AskOptions, type RefHost } from './ref.js';
import { defaultSupervisionPolicy } from './supervision.js';
import type { ActorContext, ActorFactory, SpawnOptions } from './types.js';
import { WatchRegistry } from './watch-registry.js';

export interface ActorSystemOptions {
  /** Unique in the cluster: letters, digits and `_.:@-`, at most 64 characters. */
  nodeId: string;
  /** Accept peer connections here (port 0 picks a free port); omit to only dial out. */
  listen?: { host?: string; port: number };
  /** Sent in the handshake so peers know what we are (node, balancer, client). */
  role?: string;
  /**
   * The cluster secret (at least 16 bytes): every handshake proves it by HMAC challenge-response
   * and requires the peer to prove it too; it never crosses the wire. Omit only on loopback.
   */
  secret?: string | SecretKey;
  logger?: Logger;
  clock?: Clock;
  rng?: Rng;
  limits?: Partial<RuntimeLimits>;
  /** How often each connection sends a heartbeat for the peer's failure detector. */
  heartbeatIntervalMs?: number;
  phi?: Partial<PhiAccrualOptions>;
  handshakeTimeoutMs?: number;
  reconnectBackoff?: Partial<BackoffPolicy>;
  /** Default deadline of an ask that does not give one. */
  askTimeoutMs?: number;
  /** Replaces the WebSocket transport (simulation, tests). */
  transport?: Transport;
  /** Serves plain HTTP on the listen port (metrics, health); else such requests get 426. */
  httpHandler?: HttpHandler;
  /**
   * TLS on every link: listen on wss:// and dial ws:// URLs as wss://, trusting `ca` and, with
   * a certificate, presenting it (mutual TLS). Files are read at start (TlsConfigError).
   */
  tls?: TlsSettings;
}

function secretKeyOf(secret: string | SecretKey | undefined): SecretKey | null {
  if (secret === undefined) return null;
  return secret instanceof SecretKey ? secret : SecretKey.from(secret);
}

type NodeListener = (nodeId: string, detail: PeerInfo | string) => void;

export class ActorSystem implements RefHost, CellHost, ContextHost {
  readonly nodeId: string;
  readonly log: Logger;
  /** The host's logger: the transport's and `logComponent` actors' loggers come from it. */
  private readonly rootLog: Logger;
  readonly clock: Clock;
  readonly limits: RuntimeLimits;
  readonly messagesPerTurnMax: number;
  private readonly transport: Transport;
  private readonly cells = new Map<string, ActorCell>();
  private readonly asks: AskTable;
  private readonly watches: WatchRegistry;
  private readonly inbound: InboundDeps;
  private readonly askTimeoutMs: number;
  private readonly upListeners = new Set<NodeListener>();
  private readonly downListeners = new Set<NodeListener>();
  private stopped = false;

  /** Creates a system and starts its listener (when `listen` is given). */
  static async start(options: ActorSystemOptions): Promise<ActorSystem> {
    const system = new ActorSystem(options);
    await system.transport.start({
      onEnvelope: (from, envelope, mayDefer) =>
        handleInbound(system.inbound, from, envelope, mayDefer),
      onPeerUp: (peer) => system.peerUp(peer),
      onPeerDown: (nodeId, reason) => system.peerDown(nodeId, reason),
    });
    return system;
  }

  private constructor(options: ActorSystemOptions) {
    assert(isValidNodeId(options.nodeId, defaultLimits.nodeIdBytesMax), 'invalid nodeId');
    this.nodeId = options.nodeId;
    this.limits = { ...defaultLimits, ...options.limits };
    checkLimits(this.limits);
    this.messagesPerTurnMax = this.limits.messagesPerTurnMax;
    this.clock = options.clock ?? systemClock;
    this.rootLog = options.logger ?? createLogger({ base: { nodeId: options.nodeId } });
    this.log = componentLogger(this.rootLog, 'actor');
    this.askTimeoutMs = options.askTimeoutMs ?? 5_000;
    this.asks = new AskTable(this.clock, this.limits.pendingAsksMax);
    this.transport = options.transport ?? this.createWsTransport(options);
    const send = (nodeId: string, envelope: Envelope, onError?: (error: Error) => void): void =>
      this.transport.send(nodeId, envelope, onError);
    const cell = (path: string): ActorCell | undefined => this.cells.get(path);
    const ref = (nodeId: string, path: string): ActorRef => new ActorRef(this, nodeId, path);
    this.watches = new WatchRegistry({
      nodeId: this.nodeId,
      cell,
      ref,
      send,
      isConnected: (nodeId) => this.transport.isConnected(nodeId),
      logger: this.log,
    });
    const { asks, watches, clock, log: logger } = this;
    this.inbound = { cell, ref, send, asks, watches, clock, logger };
  }

  private createWsTransport(options: ActorSystemOptions): Transport {
    const listen = options.listen
      ? { host: options.listen.host ?? '127.0.0.1', port: options.listen.port }
      : undefined;
    return new WsTransport({
      nodeId: options.nodeId,
      role: options.role ?? 'node',
      listen,
      secret: secretKeyOf(options.secret),
      limits: this.limits,
      clock: this.clock,
      rng: options.rng ?? systemRng,
      logger: componentLogger(this.rootLog, 'transport'),
      phi: options.phi ?? {},
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 200,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5_000,
      reconnectBackoff: { ...defaultReconnectBackoff, ...options.reconnectBackoff },
      httpHandler: options.httpHandler,
      tls: options.tls === undefined ? undefined : loadTls(options.tls),
    });
  }

  /** The URL peers dial to reach this system, or null when it does not listen. */
  get listenUrl(): string | null {
    return this.transport.listenUrl();
  }

  /** Starts a top-level actor at path `name`. */
  spawn<M, R = unknown>(
    name: string,
    factory: ActorFactory<M, R>,
    options?: SpawnOptions,
  ): ActorRef<M, R> {
    return this.spawnCell(undefined, name, factory as ActorFactory, options) as ActorRef<M, R>;
  }

  /** A ref to an actor anywhere, by node id and path; no check that it exists. */
  ref<M = unknown, R = unknown>(nodeId: string, path: string): ActorRef<M, R> {
    return new ActorRef<M, R>(this, nodeId, path);
  }

  refOf<M = unknown, R = unknown>(address: ActorAddress): ActorRef<M, R> {
    return this.ref<M, R>(address.nodeId, address.path);
  }

  /** Dials a peer and keeps it connected; resolves with its node id once connected. */
  connect(url: string, options: { timeoutMs?: number } = {}): Promise<string> {
    if (this.stopped) return Promise.reject(new SystemStoppedError('system is shut down'));
    return this.transport.connect(url, options.timeoutMs ?? 10_000);
  }

  isConnected(nodeId: string): boolean {
    return this.transport.isConnected(nodeId);
  }

  /** A link to `nodeId` waiting out its reconnect backoff dials now. */
  redialNow(nodeId: string): void {
    if (!this.stopped) this.transport.redialNow(nodeId);
  }

  peers(): PeerInfo[] {
    return this.transport.peers();
  }

  /** Resolves when messages queued for `nodeId` have moved into its socket (flow control). */
  whenWritable(nodeId: string): Promise<void> {
    return this.transport.whenWritable(nodeId);
  }

  /** Per connected peer, what waits to go out (empty for a transport that does not say). */
  outboundQueues(): OutboundQueueInfo[] {
    return this.transport.outboundQueues?.() ?? [];
  }

  /** Mailbox depth of every top-level actor, for metrics. */
  mailboxDepths(): Array<{ path: string; depth: number }> {
    const depths: Array<{ path: string; depth: number }> = [];
    for (const cell of this.cells.values()) {
      if (cell.parent === undefined) depths.push({ path: cell.path, depth: cell.mailboxLength });
    }
    return depths;
  }

  onNodeUp(listener: (nodeId: string, peer: PeerInfo) => void): () => void {
    const wrapped: NodeListener = (nodeId, detail) => listener(nodeId, detail as PeerInfo);
    this.upListeners.add(wrapped);
    return () => this.upListeners.delete(wrapped);
  }

  onNodeDown(listener: (nodeId: string, reason: string) => void): () => void {
    const wrapped: NodeListener = (nodeId, detail) => listener(nodeId, String(detail));
    this.downListeners.add(wrapped);
    return () => this.downListeners.delete(wrapped);
  }

  /** Stops an actor (and its children); resolves when it has stopped. */
  stop(ref: ActorRef): Promise<void> {
    assert(ref.nodeId === this.nodeId, 'only local actors can be stopped');
    return this.cells.get(ref.path)?.stop() ?? Promise.resolve();
  }

  /**
   * Stops every actor, fails pending asks and closes all connections. Actors still busy after
   * `timeoutMs` (a handler that never settles) are stopped without their postStop.
   */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const topLevel = [...this.cells.values()].filter((cell) => cell.parent === undefined);
    const graceful = Promise.all(topLevel.map((cell) => cell.stop()));
    let timer: TimerHandle | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = this.clock.setTimer(options.timeoutMs ?? 5_000, () => resolve('late'));
    });
    if ((await Promise.race([graceful, deadline])) === 'late') {
      for (const cell of [...this.cells.values()].reverse()) cell.forceStop();
    }
    timer?.cancel();
    this.asks.rejectAll(() => new SystemStoppedError('system shut down'));
    await this.transport.close();
  }

  tellTo(ref: ActorRef, message: unknown, sender: ActorRef | undefined): void {
    if (this.stopped) throw new SystemStoppedError('system is shut down');
    if (ref.nodeId === this.nodeId) {
      const cell = this.cells.get(ref.path);
      if (!cell) throw new ActorNotFoundError(`no actor at ${ref.path}`);
      cell.deliver(message, sender, undefined);
      return;
    }
    const from = sender && sender.nodeId === this.nodeId ? sender.path : null;
    this.transport.send(ref.nodeId, { kind: 'tell', to: ref.path, from, payload: message });
  }

  askTo(ref: ActorRef, message: unknown, options: AskOptions | undefined): Promise<unknown> {
    if (this.stopped) return Promise.reject(new SystemStoppedError('system is shut down'));
    const timeoutMs = options?.timeoutMs ?? this.askTimeoutMs;
    if (!(timeoutMs > 0)) return Promise.reject(new InvalidMessageError('timeoutMs must be > 0'));
    const local = ref.nodeId === this.nodeId;
    const { askId, reply } = this.asks.open(local ? null : ref.nodeId, timeoutMs, String(ref));
    try {
      if (local) {
        const cell = this.cells.get(ref.path);
        if (!cell) throw new ActorNotFoundError(`no actor at ${ref.path}`);
        cell.deliver(message, undefined, {
          resolve: (value) => this.asks.resolve(askId, value),
          reject: (error) => this.asks.reject(askId, error),
        });
      } else {
        const envelope = {
          kind: 'ask',
          askId,
          to: ref.path,
          from: null,
          timeoutMs,
          payload: message,
        } as const;
        // Too large or not encodable shows up when the frame is built: fail the ask then.
        this.transport.send(ref.nodeId, envelope, (error) => this.asks.reject(askId, error));
      }
    } catch (error) {
      this.asks.reject(askId, error instanceof Error ? error : new Error(String(error)));
    }
    return reply;
  }

  contextFor(cell: ActorCell): ActorContext {
    return createContext(this, cell);
  }

  spawnChild(
    parent: ActorCell,
    name: string,
    factory: ActorFactory,
    options?: SpawnOptions,
  ): ActorRef {
    return this.spawnCell(parent, name, factory, options);
  }

  watch(watcher: ActorCell, target: ActorRef): void {
    this.watches.watch(watcher, target);
  }

  unwatch(watcher: ActorCell, target: ActorRef): void {
    this.watches.unwatch(watcher, target);
  }

  watchNode(watcher: ActorCell, nodeId: string): void {
    this.watches.watchNode(watcher, nodeId);
  }

  cellStopped(cell: ActorCell, reason: TerminatedReason): void {
    if (this.cells.get(cell.path) === cell) this.cells.delete(cell.path);
    cell.parent?.children.delete(cell.path);
    this.watches.cellStopped(cell, reason);
  }

  private spawnCell(
    parent: ActorCell | undefined,
    name: string,
    factory: ActorFactory,
    options: SpawnOptions | undefined,
  ): ActorRef {
    if (this.stopped) throw new SystemStoppedError('system is shut down');
    if (!isValidActorName(name, this.limits.actorPathBytesMax)) {
      throw new InvalidMessageError(`invalid actor name ${JSON.stringify(name)}`);
    }
    const path = parent ? `${parent.path}/${name}` : name;
    if (path.length > this.limits.actorPathBytesMax) {
      throw new InvalidMessageError(`actor path longer than ${this.limits.actorPathBytesMax}`);
    }
    if (this.cells.has(path)) throw new DuplicateActorError(`an actor already lives at ${path}`);
    const ref = new ActorRef(this, this.nodeId, path);
    const cell = new ActorCell(this, {
      path,
      ref,
      factory,
      parent,
      mailboxDepthMax: options?.mailboxDepthMax ?? this.limits.mailboxDepthMax,
      supervision: { ...defaultSupervisionPolicy, ...options?.supervision },
      logger: (options?.logComponent === undefined
        ? this.log
        : componentLogger(this.rootLog, options.logComponent)
      ).child({ actor: path }),
    });
    this.cells.set(path, cell);
    parent?.children.set(path, cell);
    cell.start();
    return ref;
  }

  private peerUp(peer: PeerInfo): void {
    this.log.info({ peer: peer.nodeId, role: peer.role }, 'peer connected');
    for (const listener of this.upListeners) this.callListener(listener, peer.nodeId, peer);
  }

  private peerDown(nodeId: string, reason: string): void {
    this.log.info({ peer: nodeId, reason }, 'peer disconnected');
    this.asks.rejectNode(
      nodeId,
      () => new PeerUnavailableError(`connection to ${nodeId} lost with the ask in flight`),
    );
    this.watches.onNodeDown(nodeId, reason, this.cells.values());
    for (const listener of this.downListeners) this.callListener(listener, nodeId, reason);
  }

  private callListener(listener: NodeListener, nodeId: string, detail: PeerInfo | string): void {
    try {
      listener(nodeId, detail);
    } catch (error) {
      this.log.error({ err: error }, 'node listener threw');
    }
  }
}
