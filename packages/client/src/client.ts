// The client applications use: get / update / create / delete / modify on replicated,
// strongly consistent keys, through any of several balancers. Writes are exactly-once: each
// carries a session lane's (id, seq), reused by every retry of that write.
import { type BackoffOptions, backoffMs, defaultBackoff } from './backoff.js';
import { ClientClosedError, ContentionError, SessionExpiredError, TroupeError } from './errors.js';
import { type Answer, type ClientStatus, Pipeline } from './pipeline.js';
import type { Consistency, KvRequest, WriteRequest } from './protocol/index.js';
import { errorFromReply, InvalidArgumentError, VersionConflictError } from './protocol/index.js';
import { SessionPool } from './session.js';
import {
  type ClientTlsOptions,
  defaultWebSocket,
  tlsWebSocket,
  type WebSocketConstructor,
} from './socket.js';
import { decodeValue, encodeValue } from './values.js';

export interface ClientOptions {
  /**
   * Balancer URLs (`ws://host:port`, or `wss://` for a balancer with TLS); the client uses one
   * at a time and moves on failure.
   */
  readonly balancers: readonly string[];
  /**
   * A client token (`troupe token create`), when the balancers run with
   * `--client-token-key-file`; it may limit the client to a key prefix or to reads.
   */
  readonly token?: string;
  /** Deadline of an operation that gives none (default 10,000 ms), retries included. */
  readonly requestTimeoutMs?: number;
  /** Opening one balancer connection, handshake included (default 5,000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * While requests are outstanding and the balancer has sent nothing for this long, the
   * client pings it (default 1,000 ms).
   */
  readonly pingAfterMs?: number;
  /** A ping unanswered this long closes the connection and moves on (default 3,000 ms). */
  readonly pingTimeoutMs?: number;
  /** Requests in flight on the connection at once (default 256; the balancer may lower it). */
  readonly inflightMax?: number;
  /** Requests waiting beyond those in flight (default 10,000); more fail with Overloaded. */
  readonly queueMax?: number;
  /** Delays between reconnects and retries (default 50 ms doubling to 2 s, with jitter). */
  readonly backoff?: BackoffOptions;
  /** Shown in the balancer's logs. */
  readonly name?: string;
  /** A WebSocket class; default: the platform's, or the `ws` package in Node.js 20. */
  readonly WebSocket?: WebSocketConstructor;
  /**
   * Node.js only: the CA that signed the balancers' certificates (`wss://`), and a client
   * certificate where they require one. Uses the `ws` package; browsers trust their own store.
   */
  readonly tls?: ClientTlsOptions;
  /** Told whenever the connection state changes. */
  readonly onStatus?: (status: ClientStatus) => void;
}

export type { ClientStatus };

export interface GetOptions {
  /** 'linearizable' (default) reads through the leader; 'stale' may be served by any replica. */
  readonly consistency?: Consistency;
  readonly timeoutMs?: number;
}

export interface WriteOptions {
  /** Compare-and-set: apply only if the key is at this version (0 = absent). */
  readonly ifVersion?: number;
  readonly timeoutMs?: number;
}

export interface GetResult<T> {
  readonly exists: boolean;
  /** The stored value; undefined when the key is absent. */
  readonly value: T | undefined;
  /** The key's version: the Raft index of its last write; 0 when absent. */
  readonly version: number;
}

export interface WriteResult {
  /** The key's new version (for a delete, the version of the delete). */
  readonly version: number;
  /** The version this write replaced; 0 if the key was absent. */
  readonly prevVersion: number;
}

export interface ModifyOptions {
  /** Version conflicts tolerated before giving up with ContentionError (default 16). */
  readonly attemptsMax?: number;
  readonly timeoutMs?: number;
}

/** Session lanes idle this long are dropped: nodes expire sessions idle for 10 minutes. */
const sessionIdleMsMax = 5 * 60_000;
/** Replies after which a lane is dropped rather than reused. */
const spoiledLaneCodes = new Set(['TROUPE_ERR_SESSION_EXPIRED', 'TROUPE_ERR_SESSION_STALE']);

export class TroupeClient {
  private readonly pipeline: Pipeline;
  private readonly sessions = new SessionPool(sessionIdleMsMax, () => Date.now());
  private readonly requestTimeoutMs: number;
  private readonly backoff: BackoffOptions;
  private closed = false;

  constructor(options: ClientOptions) {
    if (options.balancers.length === 0) throw new InvalidArgumentError('balancers is empty');
    this.requestTimeoutMs = positive(options.requestTimeoutMs, 10_000, 'requestTimeoutMs');
    this.backoff = options.backoff ?? defaultBackoff;
    const WebSocketClass = options.WebSocket;
    const tls = options.tls;
    if (tls !== undefined && WebSocketClass !== undefined) {
      throw new InvalidArgumentError('give tls or a WebSocket class, not both');
    }
    this.pipeline = new Pipeline({
      balancers: [...options.balancers],
      token: options.token ?? null,
      name: options.name ?? 'troupe-client',
      connectTimeoutMs: positive(options.connectTimeoutMs, 5_000, 'connectTimeoutMs'),
      keepalive: {
        idleMs: positive(options.pingAfterMs, 1_000, 'pingAfterMs'),
        timeoutMs: positive(options.pingTimeoutMs, 3_000, 'pingTimeoutMs'),
      },
      inflightMax: positive(options.inflightMax, 256, 'inflightMax'),
      queueMax: positive(options.queueMax, 10_000, 'queueMax'),
      backoff: this.backoff,
      webSocket: () =>
        WebSocketClass
          ? Promise.resolve(WebSocketClass)
          : tls
            ? tlsWebSocket(tls)
            : defaultWebSocket(),
      random: Math.random,
      onStatus: options.onStatus ?? (() => {}),
    });
  }

  status(): ClientStatus {
    return this.pipeline.status();
  }

  async get<T = unknown>(key: string, options: GetOptions = {}): Promise<GetResult<T>> {
    const request: KvRequest = {
      op: 'get',
      key,
      consistency: options.consistency ?? 'linearizable',
    };
    const { reply } = await this.send(request, options.timeoutMs);
    if (!reply.ok) throw errorFromReply(reply, key);
    if (reply.op !== 'get') throw new InvalidArgumentError(`unexpected ${reply.op} reply to a get`);
    if (reply.value === null) return { exists: false, value: undefined, version: 0 };
    return { exists: true, value: decodeStored(key, reply.value) as T, version: reply.version };
  }

  /** Sets `key` to `value` (creating it if absent). */
  async update(key: string, value: unknown, options: WriteOptions = {}): Promise<WriteResult> {
    const ifVersion = options.ifVersion === undefined ? {} : { ifVersion: options.ifVersion };
    return this.write({ op: 'update', key, value: encode(value), ...ifVersion }, options.timeoutMs);
  }

  /** Creates `key`; fails with AlreadyExistsError if it exists. */
  async create(
    key: string,
    value: unknown,
    options: Omit<WriteOptions, 'ifVersion'> = {},
  ): Promise<WriteResult> {
    return this.write({ op: 'create', key, value: encode(value) }, options.timeoutMs);
  }

  delete(key: string, options: WriteOptions = {}): Promise<WriteResult> {
    const ifVersion = options.ifVersion === undefined ? {} : { ifVersion: options.ifVersion };
    return this.write({ op: 'delete', key, ...ifVersion }, options.timeoutMs);
  }

  /**
   * Read-modify-write: reads `key`, computes `fn(current)`, and writes it only if the key did
   * not change meanwhile (ifVersion); on a conflict it reads and tries again.
   */
  async modify<T>(
    key: string,
    fn: (current: T | undefined, version: number) => T,
    options: ModifyOptions = {},
  ): Promise<WriteResult & { readonly value: T }> {
    const attemptsMax = options.attemptsMax ?? 16;
    if (!Number.isSafeInteger(attemptsMax) || attemptsMax < 1) {
      throw new InvalidArgumentError(`attemptsMax must be an integer >= 1, got ${attemptsMax}`);
    }
    for (let attempt = 0; attempt < attemptsMax; attempt++) {
      const current = await this.get<T>(key, { timeoutMs: options.timeoutMs });
      const value = fn(current.value, current.version);
      try {
        const written = await this.update(key, value, {
          ifVersion: current.version,
          timeoutMs: options.timeoutMs,
        });
        return { ...written, value };
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        await sleep(backoffMs(this.backoff, attempt, Math.random));
      }
    }
    throw new ContentionError(`${JSON.stringify(key)}: ${attemptsMax} version conflicts in a row`);
  }

  /** Fails what is pending with ClientClosedError and closes the connection. */
  async close(): Promise<void> {
    this.closed = true;
    this.pipeline.close();
  }

  private async write(request: WriteRequest, timeoutMs?: number): Promise<WriteResult> {
    let answer = await this.sendOnLane(request, timeoutMs);
    // The lane's session was forgotten by a node (expired or evicted). Sent once, the write was
    // refused, not applied: a fresh lane carries it. Sent more than once, an earlier send may
    // have applied before the session was forgotten, so the outcome is unknown.
    if (!answer.reply.ok && answer.reply.code === 'TROUPE_ERR_SESSION_EXPIRED') {
      if (answer.sends > 1) throw new SessionExpiredError(answer.reply.message);
      answer = await this.sendOnLane(request, timeoutMs);
    }
    const reply = answer.reply;
    if (!reply.ok) throw errorFromReply(reply, request.key);
    if (reply.op === 'get') throw new InvalidArgumentError('unexpected get reply to a write');
    return { version: reply.version, prevVersion: reply.prevVersion };
  }

  /**
   * Sends a write on a session lane. A final answer frees the lane for the next write; without
   * one (deadline, client closed) the lane is dropped, since its seq may still land later.
   */
  private async sendOnLane(request: WriteRequest, timeoutMs?: number): Promise<Answer> {
    const lane = this.sessions.acquire();
    const session = { id: lane.id, seq: lane.seq };
    const answer = await this.send({ ...request, session }, timeoutMs);
    // A session the node has forgotten (expired) or is ahead of (stale) would be refused again.
    const reply = answer.reply;
    if (reply.ok || !spoiledLaneCodes.has(reply.code)) this.sessions.release(lane);
    return answer;
  }

  private send(request: KvRequest, timeoutMs?: number): Promise<Answer> {
    if (this.closed) return Promise.reject(new ClientClosedError());
    try {
      timeoutMs = positive(timeoutMs, this.requestTimeoutMs, 'timeoutMs');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.pipeline.execute(request, timeoutMs);
  }
}

/** Creates a client; it connects on the first request. */
export function createClient(options: ClientOptions): TroupeClient {
  return new TroupeClient(options);
}

function encode(value: unknown): Uint8Array {
  try {
    return encodeValue(value);
  } catch (error) {
    throw new InvalidArgumentError(`value cannot be encoded as msgpack: ${String(error)}`);
  }
}

/** Longest delay a timer holds (setTimeout fires at once beyond it). */
const timerMsMax = 2 ** 31 - 1;

/** The stored bytes of `key` as a value; bytes that are not msgpack give a typed error. */
function decodeStored(key: string, bytes: Uint8Array): unknown {
  try {
    return decodeValue(bytes);
  } catch (error) {
    const message = `the value of ${JSON.stringify(key)} is not msgpack: ${String(error)}`;
    throw new TroupeError('TROUPE_ERR_DECODE', message);
  }
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || value > timerMsMax) {
    throw new InvalidArgumentError(`${what} must be a positive number of ms, got ${value}`);
  }
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
