// `troupe-node` command-line flags -> NodeConfig. Flags mirror etcd's where one exists
// (--initial-cluster, --initial-cluster-token, --data-dir); every flag is listed in `--help`.
import { parseArgs } from 'node:util';
import {
  type LoadedSecret,
  LogConfigError,
  type LogSettings,
  loadSecret,
  logSettingsFrom,
  TlsConfigError,
  type TlsSettings,
  tlsFromFlags,
} from '@troupe/runtime';
import { normalizeMemberUrl } from '../meta/members.js';
import { isValidNodeId } from '../raft/options.js';
import { type NodeConfig, NodeConfigError, nodeConfigDefaults } from './config.js';
import { nodeLogComponents } from './node-logs.js';

export const nodeUsage = `Usage: troupe-node --id <id> --listen <host:port> --data-dir <dir>
       (--initial-cluster <id=host:port@zone,...> | --join <ws://host:port>) [options]

  --id <id>                     node id (printable ASCII, <= 64 characters)
  --listen <host:port>          where peers, balancers and clients connect
  --data-dir <dir>              the node's store (created on first start)
  --zone <name>                 zone label (default: default)
  --initial-cluster <list>      bootstrap (or restart) with these members
  --initial-cluster-token <t>   mixed into the cluster id (default: troupe)
  --join <url>                  join a running cluster through this member
  --shards <n>                  shard count, fixed at cluster init (default 16)
  --replication-factor <n>      replicas per shard (default 3)
  --cluster-secret-file <path>  the cluster secret (>= 16 bytes) every peer must prove (or
                                TROUPE_CLUSTER_SECRET); none: any peer is let in
  --balancer <url>              a balancer to heartbeat (repeatable)
  --peer-via <id=host:port>     dial that peer through this address (a proxy, NAT; repeatable)
  --tls-cert <file>             TLS on every link: this node's certificate (PEM; wss://)
  --tls-key <file>              the certificate's private key (PEM)
  --tls-ca <file>               the CA that signs the cluster's certificates (PEM)
  --tls-client-auth             mutual TLS: peers and balancers must present a certificate
                                signed by --tls-ca
  --balancer-heartbeat-ms <n>   heartbeat interval to balancers (default 100)
  --tick-ms <n>                 Raft tick (default 50)
  --election-ticks <n>          election timeout in ticks (default 10)
  --storage-bytes-max <n>       store size limit (default 8 GiB)
  --snapshot-entries <n>        snapshot every n applied entries (default 10000)
  --log-keep-entries <n>        entries kept behind a snapshot (default 1000)
  --request-timeout-ms <n>      how long a write waits to commit (default 5000)
  --connections-per-address-max <n>  open sockets per remote address (default 1024)
  --connection-rate-per-address <n>  new sockets read per second per address (default 100)
  --handshake-timeout-ms <n>    TCP accept to a finished handshake (default 5000)
  --idle-timeout-ms <n>         close a peer link silent this long (default 30000)
  --log-level <spec>            a level, or per component: warn,raft=debug (or TROUPE_LOG_LEVEL;
                                default info); components: actor, transport, raft, multi-raft,
                                store, kv, admin, meta, reconcile
  --log-format <json|pretty>    pretty on a terminal, else JSON (or TROUPE_LOG_FORMAT)`;

const options = {
  id: { type: 'string' },
  listen: { type: 'string' },
  'data-dir': { type: 'string' },
  zone: { type: 'string' },
  'initial-cluster': { type: 'string' },
  'initial-cluster-token': { type: 'string' },
  join: { type: 'string' },
  shards: { type: 'string' },
  'replication-factor': { type: 'string' },
  'cluster-secret-file': { type: 'string' },
  balancer: { type: 'string', multiple: true },
  'peer-via': { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-client-auth': { type: 'boolean' },
  'balancer-heartbeat-ms': { type: 'string' },
  'tick-ms': { type: 'string' },
  'election-ticks': { type: 'string' },
  'storage-bytes-max': { type: 'string' },
  'snapshot-entries': { type: 'string' },
  'log-keep-entries': { type: 'string' },
  'request-timeout-ms': { type: 'string' },
  'connections-per-address-max': { type: 'string' },
  'connection-rate-per-address': { type: 'string' },
  'handshake-timeout-ms': { type: 'string' },
  'idle-timeout-ms': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean' },
} as const;

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.length === 0) throw new NodeConfigError(`${flag} is required`);
  return value;
}

function numberFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new NodeConfigError(`${flag} must be an integer`);
  return parsed;
}

function hostPort(value: string): { host: string; port: number } {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(value);
  if (match === null) throw new NodeConfigError(`--listen must be host:port, got ${value}`);
  return { host: match[1] as string, port: Number(match[2]) };
}

/** `--peer-via id=host:port` entries -> node id -> canonical ws:// URL. */
export function parsePeerVia(entries: readonly string[]): Map<string, string> {
  const via = new Map<string, string>();
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const id = entry.slice(0, equals);
    if (equals <= 0 || !isValidNodeId(id)) {
      throw new NodeConfigError(`--peer-via must be id=host:port, got ${entry}`);
    }
    if (via.has(id)) throw new NodeConfigError(`--peer-via names ${id} twice`);
    try {
      via.set(id, normalizeMemberUrl(entry.slice(equals + 1), '--peer-via'));
    } catch (error) {
      throw new NodeConfigError(error instanceof Error ? error.message : String(error));
    }
  }
  return via;
}

/** The --tls-* flags; a node listens, so TLS on it needs a certificate. */
function tlsSettings(v: {
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'tls-ca'?: string | undefined;
  'tls-client-auth'?: boolean | undefined;
}): TlsSettings | null {
  const flags = {
    cert: v['tls-cert'],
    key: v['tls-key'],
    ca: v['tls-ca'],
    clientAuth: v['tls-client-auth'] === true,
  };
  try {
    return tlsFromFlags(flags, '--tls', true);
  } catch (error) {
    if (error instanceof TlsConfigError) throw new NodeConfigError(error.message);
    throw error;
  }
}

/** --log-level and --log-format over the environment, refused as a NodeConfigError. */
function logSettings(
  flags: { level: string | undefined; format: string | undefined },
  env: NodeJS.ProcessEnv,
): LogSettings {
  try {
    return logSettingsFrom(flags, env, nodeLogComponents);
  } catch (error) {
    if (error instanceof LogConfigError) throw new NodeConfigError(error.message);
    throw error;
  }
}

const legacyTokenMessage =
  'TROUPE_TOKEN is no longer read: put the secret in a file for --cluster-secret-file, ' +
  'or in TROUPE_CLUSTER_SECRET';

/** --cluster-secret-file or TROUPE_CLUSTER_SECRET; no flag takes the value (`ps` shows argv). */
function clusterSecret(file: string | undefined, env: NodeJS.ProcessEnv): LoadedSecret | null {
  // Protocol 1's variable: ignoring it would silently run an upgraded cluster unauthenticated.
  if (env.TROUPE_TOKEN) throw new NodeConfigError(legacyTokenMessage);
  const what = { flag: '--cluster-secret-file', env: 'TROUPE_CLUSTER_SECRET' };
  const loaded = loadSecret(what, file, env.TROUPE_CLUSTER_SECRET);
  if (!loaded.ok) throw new NodeConfigError(loaded.reason);
  return loaded.secret;
}

/** The listener's connection limits (docs/node.md#connection-limits). */
function connectionLimits(
  v: Partial<Record<keyof typeof options, string | boolean | string[]>>,
): Pick<
  NodeConfig,
  | 'connectionsPerAddressMax'
  | 'connectionRatePerAddressPerS'
  | 'handshakeTimeoutMs'
  | 'idleTimeoutMs'
> {
  const d = nodeConfigDefaults;
  const n = (flag: keyof typeof options, fallback: number): number =>
    numberFlag(v[flag] as string | undefined, `--${flag}`, fallback);
  return {
    connectionsPerAddressMax: n('connections-per-address-max', d.connectionsPerAddressMax),
    connectionRatePerAddressPerS: n('connection-rate-per-address', d.connectionRatePerAddressPerS),
    handshakeTimeoutMs: n('handshake-timeout-ms', d.handshakeTimeoutMs),
    idleTimeoutMs: n('idle-timeout-ms', d.idleTimeoutMs),
  };
}

/** Parses argv (without node and script); returns null when --help was asked. */
export function parseNodeArgs(argv: readonly string[], env: NodeJS.ProcessEnv): NodeConfig | null {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options }>>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new NodeConfigError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  if (v.help === true) return null;
  const listen = hostPort(required(v.listen, '--listen'));
  const d = nodeConfigDefaults;
  const log = logSettings({ level: v['log-level'], format: v['log-format'] }, env);
  return {
    nodeId: required(v.id, '--id'),
    listenHost: listen.host,
    listenPort: listen.port,
    dataDir: required(v['data-dir'], '--data-dir'),
    zone: v.zone ?? d.zone,
    initialCluster: v['initial-cluster'] ?? null,
    initialClusterToken: v['initial-cluster-token'] ?? d.initialClusterToken,
    join: v.join ?? null,
    shardCount: numberFlag(v.shards, '--shards', d.shardCount),
    replicationFactor: numberFlag(
      v['replication-factor'],
      '--replication-factor',
      d.replicationFactor,
    ),
    clusterSecret: clusterSecret(v['cluster-secret-file'], env),
    tickIntervalMs: numberFlag(v['tick-ms'], '--tick-ms', d.tickIntervalMs),
    electionTimeoutTicks: numberFlag(
      v['election-ticks'],
      '--election-ticks',
      d.electionTimeoutTicks,
    ),
    heartbeatIntervalTicks: d.heartbeatIntervalTicks,
    balancerHeartbeatMs: numberFlag(
      v['balancer-heartbeat-ms'],
      '--balancer-heartbeat-ms',
      d.balancerHeartbeatMs,
    ),
    balancers: v.balancer ?? [],
    peerVia: parsePeerVia(v['peer-via'] ?? []),
    tls: tlsSettings(v),
    storageBytesMax: numberFlag(v['storage-bytes-max'], '--storage-bytes-max', d.storageBytesMax),
    snapshotEveryEntries: numberFlag(
      v['snapshot-entries'],
      '--snapshot-entries',
      d.snapshotEveryEntries,
    ),
    logKeepEntries: numberFlag(v['log-keep-entries'], '--log-keep-entries', d.logKeepEntries),
    requestTimeoutMs: numberFlag(
      v['request-timeout-ms'],
      '--request-timeout-ms',
      d.requestTimeoutMs,
    ),
    pendingRequestsMax: d.pendingRequestsMax,
    ...connectionLimits(v),
    logLevel: log.level,
    logFormat: log.format,
  };
}
