// A balancer's configuration, its defaults and their checks. Every size and count is bounded;
// a value out of range is refused at start-up with BalancerConfigError (exit code 2).

import { kvLimits } from '@troupe/client/protocol';
import { type LoadedSecret, type LogFormat, type TlsSettings, TroupeError } from '@troupe/runtime';

export class BalancerConfigError extends TroupeError {
  override readonly name = 'BalancerConfigError';
  constructor(message: string) {
    super('TROUPE_ERR_BALANCER_CONFIG', message);
  }
}

export interface BalancerConfig {
  /** Unique among balancers and nodes (shown to nodes in the handshake). */
  readonly balancerId: string;
  readonly listenHost: string;
  /** HTTP and client WebSockets; 0 picks a free port. */
  readonly listenPort: number;
  /** Node URLs to learn the cluster from (any member will do; more for resilience). */
  readonly seeds: readonly string[];
  /**
   * Where nodes started with `--balancer` dial in (the runtime's peer protocol, its own port);
   * null: the balancer only dials out.
   */
  readonly peerListen: { readonly host: string; readonly port: number } | null;
  /** Nodes to dial through another address than their member URL: node id -> ws:// URL. */
  readonly peerVia: ReadonlyMap<string, string>;
  /**
   * TLS to the nodes (null or absent: plain): member URLs are dialled as wss://, trusting the
   * CA and presenting the certificate (nodes with mutual TLS demand one); on --peer-listen,
   * served to nodes dialling in.
   */
  readonly tls?: TlsSettings | null;
  /** TLS on the client port, HTTP included (null or absent: ws:// and http://). */
  readonly clientTls?: TlsSettings | null;
  /** The cluster secret proven to nodes in every handshake (and required of nodes dialling). */
  readonly clusterSecret: LoadedSecret | null;
  /** Key client tokens must be signed with (client-token.ts); null lets any client in. */
  readonly clientTokenKey: LoadedSecret | null;
  /** A node down this long has its replicas moved to live nodes. */
  readonly graceMs: number;
  readonly requestTimeoutMs: number;
  readonly attemptTimeoutMs: number;
  /** Requests waiting for a shard leader, over all shards. */
  readonly heldRequestsMax: number;
  readonly clientConnectionsMax: number;
  readonly clientInflightMax: number;
  readonly frameBytesMax: number;
  /** Longest key a client may send, in UTF-8 bytes; at most the protocol's 1 KiB. */
  readonly keyBytesMax: number;
  /** Largest encoded value a client may write; at most the protocol's 256 KiB. */
  readonly valueBytesMax: number;
  /** A client's unread replies past this stop the balancer reading its requests. */
  readonly clientOutboundPauseBytes: number;
  /** A client's unread replies past this close its connection (4008 slow consumer). */
  readonly slowConsumerBytes: number;
  /** A client must send its hello within this. */
  readonly clientHelloTimeoutMs: number;
  /**
   * Open sockets per remote address, on the client port and on --peer-listen; the next is
   * answered HTTP 503 before any upgrade. Loopback clients all share one address.
   */
  readonly connectionsPerAddressMax: number;
  /** New sockets read per second per remote address, on both ports; the rest wait unread. */
  readonly connectionRatePerAddressPerS: number;
  /** A connection with no complete message (or pong) this long after its hello is closed. */
  readonly idleTimeoutMs: number;
  /**
   * Ask a follower to campaign as soon as a leader is lost (default). Off, the balancer only
   * holds requests until Raft's own election timeout elects someone.
   */
  readonly fastFailover: boolean;
  readonly phiThreshold: number;
  /** Silence tolerated beyond the heartbeat interval before phi rises fast. */
  readonly phiAcceptablePauseMs: number;
  /**
   * UNSAFE, for the chaos checker's own test only: serve linearizable gets as stale reads from
   * a follower, so reads can miss acknowledged writes. Never set in production.
   */
  readonly unsafeLinearizableReadsFromFollowers: boolean;
  /** Level spec, `info,failover=debug` (docs/logging.md); checked by the flag parser. */
  readonly logLevel: string;
  /** null: pretty when stdout is a terminal, JSON otherwise. */
  readonly logFormat: LogFormat | null;
}

export const balancerConfigDefaults = {
  listenHost: '127.0.0.1',
  graceMs: 30_000,
  requestTimeoutMs: 10_000,
  attemptTimeoutMs: 3_000,
  heldRequestsMax: 10_000,
  clientConnectionsMax: 10_000,
  clientInflightMax: 1_024,
  frameBytesMax: 4 * 1024 * 1024,
  keyBytesMax: kvLimits.keyBytesMax,
  valueBytesMax: kvLimits.valueBytesMax,
  clientOutboundPauseBytes: 8 * 1024 * 1024,
  slowConsumerBytes: 64 * 1024 * 1024,
  clientHelloTimeoutMs: 5_000,
  connectionsPerAddressMax: 1_024,
  connectionRatePerAddressPerS: 100,
  idleTimeoutMs: 60_000,
  fastFailover: true,
  phiThreshold: 8,
  phiAcceptablePauseMs: 200,
  unsafeLinearizableReadsFromFollowers: false,
  logLevel: 'info',
  logFormat: null,
} as const;

/** The names `/status` and the start-up warning use for the unsafe settings that are on. */
export function unsafeSettings(config: BalancerConfig): string[] {
  return config.unsafeLinearizableReadsFromFollowers ? ['linearizable-reads-from-followers'] : [];
}

function checkRange(value: number, min: number, max: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BalancerConfigError(`${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

export function checkBalancerConfig(config: BalancerConfig): BalancerConfig {
  if (!/^[\w.:@-]{1,64}$/.test(config.balancerId)) {
    throw new BalancerConfigError('--id: letters, digits and _.:@- only, at most 64');
  }
  checkRange(config.listenPort, 0, 65_535, '--listen port');
  if (config.seeds.length === 0 && config.peerListen === null) {
    throw new BalancerConfigError(
      '--seed is required (a node URL), unless nodes dial --peer-listen',
    );
  }
  if (config.peerListen !== null)
    checkRange(config.peerListen.port, 0, 65_535, '--peer-listen port');
  for (const seed of config.seeds) {
    if (!/^wss?:\/\/[^\s/]+$/.test(seed)) {
      throw new BalancerConfigError(`--seed must be ws://host:port, got ${seed}`);
    }
  }
  checkRange(config.graceMs, 1_000, 86_400_000, '--grace-ms');
  checkRange(config.requestTimeoutMs, 100, 120_000, '--request-timeout-ms');
  checkRange(config.attemptTimeoutMs, 50, 60_000, '--attempt-timeout-ms');
  checkRange(config.heldRequestsMax, 1, 1_000_000, '--held-requests-max');
  checkRange(config.clientConnectionsMax, 1, 1_000_000, '--client-connections-max');
  checkRange(config.clientInflightMax, 1, 65_536, '--client-inflight-max');
  checkRange(config.frameBytesMax, 1_024 * 1_024, 64 * 1_024 * 1_024, '--frame-bytes-max');
  checkRange(config.keyBytesMax, 1, kvLimits.keyBytesMax, '--key-bytes-max');
  checkRange(config.valueBytesMax, 1, kvLimits.valueBytesMax, '--value-bytes-max');
  checkRange(
    config.clientOutboundPauseBytes,
    64 * 1_024,
    1_024 ** 3,
    '--client-outbound-pause-bytes',
  );
  checkRange(
    config.slowConsumerBytes,
    config.clientOutboundPauseBytes,
    4 * 1_024 ** 3,
    '--slow-consumer-bytes',
  );
  checkRange(config.clientHelloTimeoutMs, 100, 60_000, '--client-hello-timeout-ms');
  checkRange(config.connectionsPerAddressMax, 1, 1_000_000, '--connections-per-address-max');
  checkRange(config.connectionRatePerAddressPerS, 1, 1_000_000, '--connection-rate-per-address');
  checkRange(config.idleTimeoutMs, 1_000, 3_600_000, '--idle-timeout-ms');
  checkRange(config.phiThreshold, 1, 100, '--phi-threshold');
  checkRange(config.phiAcceptablePauseMs, 0, 60_000, '--phi-acceptable-pause-ms');
  return config;
}
