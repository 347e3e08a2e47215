// Everything a node process is configured with, its defaults, and the checks that refuse a bad
// configuration at start with a typed error naming the option. Time is in milliseconds here;
// the Raft core gets ticks (tickIntervalMs converts).
import { kvLimits } from '@troupe/client/protocol';
import { type LoadedSecret, type LogFormat, type TlsSettings, TroupeError } from '@troupe/runtime';

/** A configuration the node cannot start with. */
export class NodeConfigError extends TroupeError {
  override readonly name = 'NodeConfigError';
  constructor(message: string) {
    super('TROUPE_ERR_NODE_CONFIG', message);
  }
}

export interface NodeConfig {
  readonly nodeId: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly dataDir: string;
  readonly zone: string;
  /** `id=host:port@zone,...`: bootstrap (or restart) a cluster of exactly these members. */
  readonly initialCluster: string | null;
  /** Mixed into the cluster id so two clusters with the same member list stay apart. */
  readonly initialClusterToken: string;
  /** URL of a running member to join through, instead of bootstrapping. */
  readonly join: string | null;
  readonly shardCount: number;
  readonly replicationFactor: number;
  /**
   * The cluster secret every peer (node, balancer, test client) proves in the handshake, and
   * a warning when its file is readable by others; null lets any peer in (loopback dev).
   */
  readonly clusterSecret: LoadedSecret | null;
  readonly tickIntervalMs: number;
  readonly electionTimeoutTicks: number;
  readonly heartbeatIntervalTicks: number;
  /** How often the node reports its shards to every balancer it knows. */
  readonly balancerHeartbeatMs: number;
  readonly balancers: readonly string[];
  /**
   * Peers to dial through another address than their member URL (a proxy, a NAT): node id ->
   * ws://host:port. The handshake still checks that the node answering is that peer.
   */
  readonly peerVia: ReadonlyMap<string, string>;
  /**
   * TLS on every link (null or absent: plain ws://): listen on wss:// and dial members, which
   * stay `ws://host:port` addresses in the cluster state, as wss://. `requireClientCert` is
   * mutual TLS: peers and balancers must present a certificate signed by the CA.
   */
  readonly tls?: TlsSettings | null;
  /** The store refuses client writes well before this (see storage/). */
  readonly storageBytesMax: number;
  readonly snapshotEveryEntries: number;
  readonly logKeepEntries: number;
  readonly requestTimeoutMs: number;
  readonly pendingRequestsMax: number;
  /** Open sockets per remote address on the listen port; the next gets HTTP 503. */
  readonly connectionsPerAddressMax: number;
  /** New sockets read per second per remote address; the rest wait unread. */
  readonly connectionRatePerAddressPerS: number;
  /** TCP accept to a finished peer handshake (the upgrade request, then the hello). */
  readonly handshakeTimeoutMs: number;
  /** A peer connection with no complete message (heartbeats count) this long is closed. */
  readonly idleTimeoutMs: number;
  /** Level spec, `info,raft=debug` (docs/logging.md); checked by the flag parser. */
  readonly logLevel: string;
  /** null: pretty when stdout is a terminal, JSON otherwise. */
  readonly logFormat: LogFormat | null;
}

export const nodeConfigDefaults = {
  listenHost: '127.0.0.1',
  zone: 'default',
  initialClusterToken: 'troupe',
  shardCount: 16,
  replicationFactor: 3,
  tickIntervalMs: 50,
  electionTimeoutTicks: 10,
  heartbeatIntervalTicks: 1,
  balancerHeartbeatMs: 100,
  storageBytesMax: 8 * 1024 * 1024 * 1024,
  snapshotEveryEntries: 10_000,
  logKeepEntries: 1_000,
  requestTimeoutMs: 5_000,
  pendingRequestsMax: 10_000,
  connectionsPerAddressMax: 1_024,
  connectionRatePerAddressPerS: 100,
  handshakeTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  logLevel: 'info',
  logFormat: null,
} as const;

function integerIn(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new NodeConfigError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** Throws NodeConfigError for the first option out of range. */
export function checkNodeConfig(config: NodeConfig): void {
  if (config.initialCluster === null && config.join === null) {
    throw new NodeConfigError('give --initial-cluster (bootstrap or restart) or --join <url>');
  }
  integerIn('listenPort', config.listenPort, 0, 65_535);
  integerIn('shardCount', config.shardCount, 1, kvLimits.shardCountMax);
  integerIn('replicationFactor', config.replicationFactor, 1, kvLimits.replicationFactorMax);
  integerIn('tickIntervalMs', config.tickIntervalMs, 1, 10_000);
  integerIn('electionTimeoutTicks', config.electionTimeoutTicks, 2, 10_000);
  integerIn('heartbeatIntervalTicks', config.heartbeatIntervalTicks, 1, 10_000);
  if (config.heartbeatIntervalTicks >= config.electionTimeoutTicks) {
    throw new NodeConfigError('heartbeatIntervalTicks must be below electionTimeoutTicks');
  }
  integerIn('balancerHeartbeatMs', config.balancerHeartbeatMs, 1, 60_000);
  integerIn('storageBytesMax', config.storageBytesMax, 16 * 1024 * 1024, 2 ** 50);
  integerIn('snapshotEveryEntries', config.snapshotEveryEntries, 1, 100_000_000);
  integerIn('logKeepEntries', config.logKeepEntries, 0, 100_000_000);
  integerIn('requestTimeoutMs', config.requestTimeoutMs, 1, 600_000);
  integerIn('pendingRequestsMax', config.pendingRequestsMax, 1, 1_000_000);
  integerIn('connectionsPerAddressMax', config.connectionsPerAddressMax, 1, 1_000_000);
  integerIn('connectionRatePerAddressPerS', config.connectionRatePerAddressPerS, 1, 1_000_000);
  integerIn('handshakeTimeoutMs', config.handshakeTimeoutMs, 100, 60_000);
  // Heartbeats go every 200 ms: a shorter idle timeout would close healthy links.
  integerIn('idleTimeoutMs', config.idleTimeoutMs, 1_000, 3_600_000);
  if (config.dataDir.length === 0) throw new NodeConfigError('dataDir must not be empty');
}
