// An in-process fake of a balancer for the client SDK's tests: a real `ws` WebSocketServer on
// 127.0.0.1 (port 0) that speaks the client protocol (hello/welcome with a token and protocol
// check, then frames of [id, request, timeoutMs] answered by frames of [id, reply]). It records
// every frame and request it receives (with the connection it came on) and lets each test
// script the answer per request: from its key-value store (a `FakeCluster`, shareable between
// fakes, with exactly-once sessions like a node's), a given reply, a delayed reply, no reply,
// a closed or cut connection. It can refuse connections with a close code, and stop and
// restart on the same port. Also here: a seeded Math.random and a harness that cleans up.
import type { AddressInfo } from 'node:net';
import { createSeededRng } from '@troupe/runtime';
import { Packr } from 'msgpackr';
import { afterEach, beforeEach, vi } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type ClientOptions, createClient, type TroupeClient } from '../src/client.js';
import {
  type BalancerWelcome,
  checkHello,
  checkRequestFrame,
  isPingRequest,
  type KvReply,
  type KvRequest,
  pingReply,
  type WriteRequest,
} from '../src/protocol/index.js';

const packr = new Packr({ useRecords: false });

/** One request as the fake received it. */
export interface Received {
  readonly id: number;
  readonly request: KvRequest;
  /** The third tuple element, when the client sent one. */
  readonly timeoutMs: number | undefined;
  /** Which connection of this fake it came on, counted from 1 (welcomed connections only). */
  readonly conn: number;
  /** Which frame of this fake carried it, counted from 1. */
  readonly frame: number;
}

/** What the fake does with one request. */
export type Action =
  | { readonly kind: 'store'; readonly delayMs: number }
  | { readonly kind: 'reply'; readonly reply: KvReply; readonly delayMs: number }
  | { readonly kind: 'silent' }
  | { readonly kind: 'hold' }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string }
  | { readonly kind: 'cut' }
  | { readonly kind: 'raw'; readonly frame: unknown };

export const act = {
  /** Answer from the fake cluster's store (the default). */
  store: (delayMs = 0): Action => ({ kind: 'store', delayMs }),
  reply: (reply: KvReply, delayMs = 0): Action => ({ kind: 'reply', reply, delayMs }),
  /** An error reply with `code` (and extra fields such as currentVersion). */
  fail: (code: string, extra: Record<string, unknown> = {}, delayMs = 0): Action => ({
    kind: 'reply',
    reply: { ok: false, code, message: `fake says ${code}`, ...extra },
    delayMs,
  }),
  /** Never answer. */
  silent: { kind: 'silent' } as Action,
  /** Answer from the store when the test calls `release()`. */
  hold: { kind: 'hold' } as Action,
  /** Close the connection (with a close frame) instead of answering. */
  close: (code = 1001, reason = 'fake closed'): Action => ({ kind: 'close', code, reason }),
  /** Drop the connection without a close frame (the client sees 1006). */
  cut: { kind: 'cut' } as Action,
  /** Send this frame (any msgpack value) instead of an answer. */
  raw: (frame: unknown): Action => ({ kind: 'raw', frame }),
};

export type Script = (request: Received, fake: FakeBalancer) => Action;

interface Stored {
  readonly value: Uint8Array;
  readonly version: number;
}

/** The replicated store behind one or more fakes: versions, compare-and-set, sessions. */
export class FakeCluster {
  readonly data = new Map<string, Stored>();
  /** Per session id: the last seq applied and its reply, as a node keeps them. */
  readonly sessions = new Map<string, { seq: number; reply: KvReply }>();
  /** Every write applied, in order: exactly-once shows as one entry per (session, seq). */
  readonly applied: WriteRequest[] = [];
  private version = 0;

  answer(request: KvRequest): KvReply {
    if (request.op === 'get') {
      const stored = this.data.get(request.key);
      return { ok: true, op: 'get', value: stored?.value ?? null, version: stored?.version ?? 0 };
    }
    const session = request.session;
    const known = session === undefined ? undefined : this.sessions.get(session.id);
    if (session !== undefined && known !== undefined) {
      if (session.seq === known.seq) return known.reply;
      if (session.seq < known.seq) {
        return { ok: false, code: 'TROUPE_ERR_SESSION_STALE', message: 'fake: stale seq' };
      }
    }
    const reply = this.apply(request);
    if (session !== undefined) this.sessions.set(session.id, { seq: session.seq, reply });
    return reply;
  }

  private apply(request: WriteRequest): KvReply {
    const current = this.data.get(request.key);
    const prevVersion = current?.version ?? 0;
    const ifVersion = request.op === 'create' ? undefined : request.ifVersion;
    if (ifVersion !== undefined && ifVersion !== prevVersion) {
      const message = `fake: ${request.key} is at ${prevVersion}, not ${ifVersion}`;
      return {
        ok: false,
        code: 'TROUPE_ERR_VERSION_CONFLICT',
        message,
        currentVersion: prevVersion,
      };
    }
    if (request.op === 'create' && current !== undefined) {
      const message = `fake: ${request.key} exists`;
      return { ok: false, code: 'TROUPE_ERR_ALREADY_EXISTS', message, currentVersion: prevVersion };
    }
    const version = ++this.version;
    if (request.op === 'delete') this.data.delete(request.key);
    else this.data.set(request.key, { value: request.value, version });
    this.applied.push(request);
    return { ok: true, op: request.op, version, prevVersion };
  }
}

export interface FakeBalancerOptions {
  /** The token a hello must carry; absent or null: any. A wrong one is closed with 4003. */
  readonly token?: string | null;
  /** Fields of the welcome to override (inflightMax, requestsPerFrameMax, ...). */
  readonly welcome?: Partial<BalancerWelcome>;
  readonly script?: Script;
  readonly cluster?: FakeCluster;
}

interface Connection {
  readonly socket: WebSocket;
  conn: number;
  readonly outstanding: Set<number>;
  outgoing: [number, KvReply][];
}

let fakesStarted = 0;

export class FakeBalancer {
  private hung = false;
  /** Pings answered so far. */
  pings = 0;
  readonly received: Received[] = [];
  /** Requests per frame received, in order. */
  readonly frames: number[] = [];
  /** Sockets accepted, handshaken or not. */
  accepted = 0;
  /** Connections that got a welcome. */
  welcomed = 0;
  /** The most requests one connection had unanswered at once. */
  maxOutstanding = 0;
  script: Script;
  readonly cluster: FakeCluster;
  readonly welcome: BalancerWelcome;
  private refusal: { readonly code: number; readonly at: 'open' | 'hello' } | null = null;
  private server: WebSocketServer | null = null;
  private readonly connections = new Set<Connection>();
  private waiters: { readonly count: number; readonly resolve: () => void }[] = [];
  private held: { readonly c: Connection; readonly received: Received }[] = [];
  private port = 0;

  private constructor(private readonly options: FakeBalancerOptions) {
    this.script = options.script ?? (() => act.store());
    this.cluster = options.cluster ?? new FakeCluster();
    this.welcome = {
      type: 'welcome',
      proto: 1,
      balancerId: `fake-${++fakesStarted}`,
      shardCount: 4,
      inflightMax: 1_024,
      requestsPerFrameMax: 1_024,
      frameBytesMax: 4 * 1024 * 1024,
      keyBytesMax: 1_024,
      valueBytesMax: 256 * 1024,
      ...options.welcome,
    };
  }

  static async start(options: FakeBalancerOptions = {}): Promise<FakeBalancer> {
    const fake = new FakeBalancer(options);
    await fake.listen();
    return fake;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Requests whose request matches `op` (all when absent). */
  /**
   * From now on the fake reads frames and answers nothing, pings included, with its
   * connections left open: a stopped process, as the client sees it.
   */
  hang(): void {
    this.hung = true;
  }

  requests(op?: KvRequest['op']): Received[] {
    return this.received.filter((r) => op === undefined || r.request.op === op);
  }

  /**
   * Refuse new connections with `code` (null: accept again), on open or after the hello;
   * 'stall' accepts the socket and never answers the hello.
   */
  refuse(code: number | 'stall' | null, at: 'open' | 'hello' = 'hello'): void {
    this.refusal = code === null ? null : { code: code === 'stall' ? 0 : code, at };
  }

  /** Closes every open connection with `code`; the server keeps listening. */
  closeAll(code = 1001, reason = 'fake closed'): void {
    for (const c of this.connections) c.socket.close(code, reason);
  }

  /** Cuts every connection and stops listening: the port refuses connections. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    for (const c of this.connections) c.socket.terminate();
    this.connections.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restart(): Promise<void> {
    if (this.server === null) await this.listen();
  }

  /** Requests held (act.hold) and not yet released. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Answers the `count` oldest held requests from the store (newest first if `reverse`). */
  release(count = this.held.length, reverse = false): void {
    if (reverse) this.held.reverse();
    for (const { c, received } of this.held.splice(0, count)) {
      this.answer(c, received.id, this.cluster.answer(received.request));
    }
  }

  /** Resolves once `count` requests have arrived (in all); rejects after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs = 5_000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const got = this.received.length;
        reject(new Error(`fake: ${got} requests arrived, not ${count}, in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private async listen(): Promise<void> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: this.port });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    server.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: WebSocket): void {
    this.accepted++;
    if (this.refusal?.at === 'open' && this.refusal.code !== 0) {
      return socket.close(this.refusal.code, 'fake refuses');
    }
    const c: Connection = { socket, conn: 0, outstanding: new Set(), outgoing: [] };
    this.connections.add(c);
    socket.on('close', () => this.connections.delete(c));
    socket.on('error', () => {});
    socket.on('message', (data) => {
      let decoded: unknown;
      try {
        decoded = packr.unpack(data as Buffer);
      } catch {
        return socket.close(1007, 'not msgpack');
      }
      if (c.conn === 0) this.onHello(c, decoded);
      else this.onFrame(c, decoded);
    });
  }

  private onHello(c: Connection, message: unknown): void {
    const hello = checkHello(message);
    if (!hello.ok) return c.socket.close(hello.closeCode, hello.reason);
    const token = this.options.token ?? null;
    if (token !== null && hello.hello.token !== token) {
      return c.socket.close(4003, 'wrong or missing token');
    }
    if (this.refusal?.code === 0) return;
    if (this.refusal !== null) return c.socket.close(this.refusal.code, 'fake refuses');
    c.conn = ++this.welcomed;
    c.socket.send(packr.pack(this.welcome));
  }

  private onFrame(c: Connection, decoded: unknown): void {
    if (this.hung) return;
    const frame = checkRequestFrame(decoded);
    if (!frame.ok) return c.socket.close(4000, frame.reason);
    // Pings are the balancer's own business: answered at once, never recorded or scripted.
    const items = frame.items.filter((item) => {
      if (!isPingRequest(item.request)) return true;
      this.pings++;
      c.socket.send(packr.pack([[item.id, pingReply]]));
      return false;
    });
    if (items.length === 0) return;
    this.frames.push(items.length);
    for (const item of items) {
      const received: Received = {
        id: item.id,
        request: item.request as KvRequest,
        timeoutMs: item.timeoutMs,
        conn: c.conn,
        frame: this.frames.length,
      };
      this.received.push(received);
      c.outstanding.add(item.id);
      this.maxOutstanding = Math.max(this.maxOutstanding, c.outstanding.size);
      this.perform(c, received, this.script(received, this));
    }
    const ready = this.waiters.filter((w) => this.received.length >= w.count);
    this.waiters = this.waiters.filter((w) => this.received.length < w.count);
    for (const w of ready) w.resolve();
  }

  private perform(c: Connection, received: Received, action: Action): void {
    switch (action.kind) {
      case 'store':
        return this.later(action.delayMs, () => {
          this.answer(c, received.id, this.cluster.answer(received.request));
        });
      case 'reply':
        return this.later(action.delayMs, () => this.answer(c, received.id, action.reply));
      case 'silent':
        return;
      case 'hold':
        this.held.push({ c, received });
        return;
      case 'close':
        return c.socket.close(action.code, action.reason);
      case 'cut':
        return c.socket.terminate();
      case 'raw':
        return c.socket.send(packr.pack(action.frame));
    }
  }

  private later(delayMs: number, run: () => void): void {
    if (delayMs <= 0) run();
    else setTimeout(run, delayMs);
  }

  /** Queues a reply; the replies of one turn leave as one frame, as a balancer's do. */
  private answer(c: Connection, id: number, reply: KvReply): void {
    if (!c.outstanding.delete(id)) return;
    c.outgoing.push([id, reply]);
    if (c.outgoing.length > 1) return;
    setImmediate(() => {
      const frame = c.outgoing;
      c.outgoing = [];
      if (c.socket.readyState === c.socket.OPEN) c.socket.send(packr.pack(frame));
    });
  }
}

/** A seeded PRNG in [0, 1): the runtime's, so every seeded test draws from one generator. */
export function seededRandom(seed: number): () => number {
  const rng = createSeededRng(seed);
  return () => rng.nextFloat();
}

/** Client options for tests: short deadlines and backoffs. */
export const quick = {
  requestTimeoutMs: 1_000,
  connectTimeoutMs: 500,
  backoff: { initialMs: 5, maxMs: 40 },
} as const;

/**
 * Per test: Math.random seeded (the client's jitter and first balancer), and every fake and
 * client made through the harness stopped afterwards.
 */
export function useHarness(seed = 1) {
  const fakes: FakeBalancer[] = [];
  const clients: TroupeClient[] = [];
  beforeEach(() => {
    vi.spyOn(Math, 'random').mockImplementation(seededRandom(seed));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
    vi.restoreAllMocks();
  });
  return {
    async fake(options: FakeBalancerOptions = {}): Promise<FakeBalancer> {
      const fake = await FakeBalancer.start(options);
      fakes.push(fake);
      return fake;
    },
    client(balancers: FakeBalancer[] | string[], options: Partial<ClientOptions> = {}) {
      const urls = balancers.map((b) => (typeof b === 'string' ? b : b.url));
      const client = createClient({ ...quick, ...options, balancers: urls });
      clients.push(client);
      return client;
    },
  };
}

/** A free port nothing listens on: connections to it are refused. */
export async function deadUrl(): Promise<string> {
  const fake = await FakeBalancer.start();
  const url = fake.url;
  await fake.stop();
  return url;
}
