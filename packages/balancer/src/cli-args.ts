// `troupe-balancer` command-line flags -> BalancerConfig; every flag is listed in `--help`.
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
import { balancerLogComponents } from './balancer-logs.js';
import { type BalancerConfig, BalancerConfigError, balancerConfigDefaults } from './config.js';

const usageHead = 'Usage: troupe-balancer --listen <host:port> --seed <ws://node>';

export const balancerUsage = `${usageHead} [--seed ...] [options]

  --id <id>                        balancer id (default: balancer-<port>-<pid>)
  --listen <host:port>             client WebSockets and HTTP (/healthz /status /metrics)
  --seed <url>                     a node to learn the cluster from (repeatable)
  --peer-listen <host:port>        also accept nodes that dial in (their --balancer ws://...)
  --peer-via <id=host:port>        dial that node through this address (a proxy; repeatable)
  --tls-cert <file>                TLS to the nodes (wss://): the certificate shown to nodes
                                   with --tls-client-auth, also served to clients unless
                                   --client-tls-cert is given (PEM)
  --tls-key <file>                 its private key (PEM)
  --tls-ca <file>                  the CA that signs the nodes' certificates (PEM)
  --tls-client-auth                nodes dialling --peer-listen must show a --tls-ca certificate
  --client-tls-cert <file>         TLS on the client port: wss:// and https:// (PEM)
  --client-tls-key <file>          its private key (PEM)
  --client-tls-ca <file>           clients must show a certificate signed by this CA (PEM)
  --cluster-secret-file <path>     the cluster secret (>= 16 bytes) proven to nodes and
                                   required of them (or TROUPE_CLUSTER_SECRET)
  --client-token-key-file <path>   key (>= 16 bytes) that client tokens must be signed with
                                   (or TROUPE_CLIENT_TOKEN_KEY); none: any client is let in
  --grace-ms <n>                   move replicas off a node down this long (default 30000)
  --request-timeout-ms <n>         default deadline of a client request (default 10000)
  --attempt-timeout-ms <n>         one attempt at one node (default 3000)
  --held-requests-max <n>          requests waiting for a leader, all shards (default 10000)
  --client-connections-max <n>     open client connections (default 10000)
  --client-inflight-max <n>        requests in flight per connection (default 1024)
  --frame-bytes-max <n>            largest client frame (default 4 MiB)
  --key-bytes-max <n>              longest client key, UTF-8 bytes (default and max 1024)
  --value-bytes-max <n>            largest encoded client value (default and max 262144)
  --client-outbound-pause-bytes <n>  unread replies that pause a client's requests (default 8 MiB)
  --slow-consumer-bytes <n>        unread replies that close a client (default 64 MiB)
  --client-hello-timeout-ms <n>    time a client has to send its hello (default 5000)
  --connections-per-address-max <n>  open sockets per remote address (default 1024)
  --connection-rate-per-address <n>  new sockets read per second per address (default 100)
  --idle-timeout-ms <n>            close a connection silent this long (default 60000)
  --no-fast-failover               do not ask followers to campaign; wait for Raft's timeout
  --phi-threshold <n>              suspect a node above this phi (default 8)
  --phi-acceptable-pause-ms <n>    heartbeat silence tolerated (default 200)
  --log-level <spec>               a level, or per component: warn,failover=debug (or
                                   TROUPE_LOG_LEVEL; default info); components: actor,
                                   transport, router, failover, rereplicate, health, clients, http
  --log-format <json|pretty>       pretty on a terminal, else JSON (or TROUPE_LOG_FORMAT)

Debug flags (UNSAFE: they break the guarantees on purpose; never use them in production):
  --unsafe-linearizable-reads-from-followers
                                   serve linearizable gets from a follower without ReadIndex
                                   (stale reads), only to prove the chaos checker catches it`;

const options = {
  id: { type: 'string' },
  listen: { type: 'string' },
  seed: { type: 'string', multiple: true },
  'peer-listen': { type: 'string' },
  'peer-via': { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-client-auth': { type: 'boolean' },
  'client-tls-cert': { type: 'string' },
  'client-tls-key': { type: 'string' },
  'client-tls-ca': { type: 'string' },
  'cluster-secret-file': { type: 'string' },
  'client-token-key-file': { type: 'string' },
  'grace-ms': { type: 'string' },
  'request-timeout-ms': { type: 'string' },
  'attempt-timeout-ms': { type: 'string' },
  'held-requests-max': { type: 'string' },
  'client-connections-max': { type: 'string' },
  'client-inflight-max': { type: 'string' },
  'frame-bytes-max': { type: 'string' },
  'key-bytes-max': { type: 'string' },
  'value-bytes-max': { type: 'string' },
  'client-outbound-pause-bytes': { type: 'string' },
  'slow-consumer-bytes': { type: 'string' },
  'client-hello-timeout-ms': { type: 'string' },
  'connections-per-address-max': { type: 'string' },
  'connection-rate-per-address': { type: 'string' },
  'idle-timeout-ms': { type: 'string' },
  'no-fast-failover': { type: 'boolean' },
  'phi-threshold': { type: 'string' },
  'phi-acceptable-pause-ms': { type: 'string' },
  'unsafe-linearizable-reads-from-followers': { type: 'boolean' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  help: { type: 'boolean' },
} as const;

/**
 * A secret from its file flag or its environment variable (empty means none); no flag takes
 * the value itself, since `ps` shows argv to every user.
 */
function secretFrom(
  what: { flag: string; env: string },
  file: string | undefined,
  env: NodeJS.ProcessEnv,
): LoadedSecret | null {
  // Protocol 1's variable: ignoring it would silently run an upgraded cluster unauthenticated.
  if (what.env === 'TROUPE_CLUSTER_SECRET' && env.TROUPE_TOKEN) {
    throw new BalancerConfigError(
      'TROUPE_TOKEN is no longer read: put the secret in a file for --cluster-secret-file, ' +
        'or in TROUPE_CLUSTER_SECRET',
    );
  }
  const loaded = loadSecret(what, file, env[what.env]);
  if (!loaded.ok) throw new BalancerConfigError(loaded.reason);
  return loaded.secret;
}

function numberFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new BalancerConfigError(`${flag} must be an integer`);
  return parsed;
}

function hostPort(value: string | undefined, flag = '--listen'): { host: string; port: number } {
  if (value === undefined) throw new BalancerConfigError(`${flag} is required`);
  const match = /^([^:\s]+):(\d{1,5})$/.exec(value);
  if (match === null) throw new BalancerConfigError(`${flag} must be host:port, got ${value}`);
  return { host: match[1] as string, port: Number(match[2]) };
}

type TlsFlags = Partial<Record<`${'' | 'client-'}tls-${'cert' | 'key' | 'ca'}`, string>> & {
  'tls-client-auth'?: boolean | undefined;
};

/**
 * The node links' TLS (--tls-*) and the client port's (--client-tls-*, else the node links'
 * certificate, so one flag set secures every link). A client CA makes client certificates
 * mandatory: asking for one and letting clients in without it would protect nothing.
 */
function tlsConfig(
  v: TlsFlags,
  listensForNodes: boolean,
): Pick<BalancerConfig, 'tls' | 'clientTls'> {
  // Absent rather than null when off: a plain configuration reads as it did before TLS.
  try {
    const nodeFlags = { cert: v['tls-cert'], key: v['tls-key'], ca: v['tls-ca'] };
    const tls = tlsFromFlags(
      { ...nodeFlags, clientAuth: v['tls-client-auth'] === true },
      '--tls',
      listensForNodes,
    );
    const ownPair = v['client-tls-cert'] !== undefined || v['client-tls-key'] !== undefined;
    const ca = v['client-tls-ca'];
    const clientFlags = {
      cert: ownPair ? v['client-tls-cert'] : tls?.certFile,
      key: ownPair ? v['client-tls-key'] : tls?.keyFile,
      ca,
      clientAuth: ca !== undefined,
    };
    const clientTls: TlsSettings | null = tlsFromFlags(clientFlags, '--client-tls', true);
    return { ...(tls === null ? {} : { tls }), ...(clientTls === null ? {} : { clientTls }) };
  } catch (error) {
    if (error instanceof TlsConfigError) throw new BalancerConfigError(error.message);
    throw error;
  }
}

/** `--peer-via id=host:port` entries -> node id -> ws:// URL. */
function parsePeerVia(entries: readonly string[]): Map<string, string> {
  const via = new Map<string, string>();
  for (const entry of entries) {
    const match = /^([\w.:@-]{1,64})=([^\s:]+):(\d{1,5})$/.exec(entry);
    if (match === null) throw new BalancerConfigError(`--peer-via must be id=host:port: ${entry}`);
    const [, id, host, port] = match as unknown as [string, string, string, string];
    if (via.has(id)) throw new BalancerConfigError(`--peer-via names ${id} twice`);
    via.set(id, `ws://${host}:${Number(port)}`);
  }
  return via;
}

/** --log-level and --log-format over the environment, refused as a BalancerConfigError. */
function logSettings(
  flags: { level: string | undefined; format: string | undefined },
  env: NodeJS.ProcessEnv,
): LogSettings {
  try {
    return logSettingsFrom(flags, env, balancerLogComponents);
  } catch (error) {
    if (error instanceof LogConfigError) throw new BalancerConfigError(error.message);
    throw error;
  }
}

/** Parses argv (without node and script); null when --help was asked. */
export function parseBalancerArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  pid: number,
): BalancerConfig | null {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options }>>;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new BalancerConfigError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  if (v.help === true) return null;
  const listen = hostPort(v.listen);
  const d = balancerConfigDefaults;
  const log = logSettings({ level: v['log-level'], format: v['log-format'] }, env);
  const n = (flag: keyof typeof options, fallback: number): number =>
    numberFlag(v[flag] as string | undefined, `--${flag}`, fallback);
  return {
    balancerId: v.id ?? `balancer-${listen.port}-${pid}`,
    listenHost: listen.host,
    listenPort: listen.port,
    seeds: v.seed ?? [],
    peerListen: v['peer-listen'] === undefined ? null : hostPort(v['peer-listen'], '--peer-listen'),
    peerVia: parsePeerVia(v['peer-via'] ?? []),
    ...tlsConfig(v, v['peer-listen'] !== undefined),
    clusterSecret: secretFrom(
      { flag: '--cluster-secret-file', env: 'TROUPE_CLUSTER_SECRET' },
      v['cluster-secret-file'],
      env,
    ),
    clientTokenKey: secretFrom(
      { flag: '--client-token-key-file', env: 'TROUPE_CLIENT_TOKEN_KEY' },
      v['client-token-key-file'],
      env,
    ),
    graceMs: n('grace-ms', d.graceMs),
    requestTimeoutMs: n('request-timeout-ms', d.requestTimeoutMs),
    attemptTimeoutMs: n('attempt-timeout-ms', d.attemptTimeoutMs),
    heldRequestsMax: n('held-requests-max', d.heldRequestsMax),
    clientConnectionsMax: n('client-connections-max', d.clientConnectionsMax),
    clientInflightMax: n('client-inflight-max', d.clientInflightMax),
    frameBytesMax: n('frame-bytes-max', d.frameBytesMax),
    keyBytesMax: n('key-bytes-max', d.keyBytesMax),
    valueBytesMax: n('value-bytes-max', d.valueBytesMax),
    clientOutboundPauseBytes: n('client-outbound-pause-bytes', d.clientOutboundPauseBytes),
    slowConsumerBytes: n('slow-consumer-bytes', d.slowConsumerBytes),
    clientHelloTimeoutMs: n('client-hello-timeout-ms', d.clientHelloTimeoutMs),
    connectionsPerAddressMax: n('connections-per-address-max', d.connectionsPerAddressMax),
    connectionRatePerAddressPerS: n('connection-rate-per-address', d.connectionRatePerAddressPerS),
    idleTimeoutMs: n('idle-timeout-ms', d.idleTimeoutMs),
    fastFailover: v['no-fast-failover'] !== true,
    phiThreshold: n('phi-threshold', d.phiThreshold),
    phiAcceptablePauseMs: n('phi-acceptable-pause-ms', d.phiAcceptablePauseMs),
    unsafeLinearizableReadsFromFollowers: v['unsafe-linearizable-reads-from-followers'] === true,
    logLevel: log.level,
    logFormat: log.format,
  };
}
