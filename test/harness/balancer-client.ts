// A minimal client of the balancer's client protocol for multi-process tests (the real SDK is
// @troupe/client): hello/welcome, pipelined [id, request] frames, replies matched by id. It
// can move to another balancer when its connection drops, keeping requests that carry a
// session (safe to resend); it counts how often it moved so tests can show it happened.
import type { BalancerWelcome, KvReply, KvRequest } from '@troupe/client/protocol';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';

const packr = new Packr({ useRecords: false });

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

interface Pending {
  readonly resolve: (reply: KvReply) => void;
  readonly reject: (error: Error) => void;
}

/** One connection to one balancer. */
export class BalancerConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  readonly closed: Promise<Closed>;

  private constructor(
    readonly ws: WebSocket,
    readonly welcome: BalancerWelcome,
  ) {
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        const error = new Error(`connection closed: ${code} ${reason.toString()}`);
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('message', (data) => {
      const replies = packr.unpack(data as Buffer) as [number, KvReply][];
      for (const [id, reply] of replies) {
        this.pending.get(id)?.resolve(reply);
        this.pending.delete(id);
      }
    });
  }

  static async open(
    url: string,
    hello: Record<string, unknown> = {},
    timeoutMs = 5_000,
  ): Promise<BalancerConnection> {
    const ws = await openSocket(url, timeoutMs);
    ws.send(packr.pack({ type: 'hello', proto: 1, name: 'test', ...hello }));
    const welcome = await new Promise<BalancerWelcome>((resolve, reject) => {
      ws.once('message', (data) => resolve(packr.unpack(data as Buffer) as BalancerWelcome));
      ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${reason}`)));
    });
    return new BalancerConnection(ws, welcome);
  }

  get inflight(): number {
    return this.pending.size;
  }

  request(request: KvRequest, timeoutMs?: number): Promise<KvReply> {
    const id = this.nextId++;
    const item = timeoutMs === undefined ? [id, request] : [id, request, timeoutMs];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(packr.pack([item]), (error) => {
        if (error === undefined || error === null) return;
        this.pending.delete(id);
        reject(error);
      });
    });
  }

  close(): void {
    this.ws.close(1000, 'test done');
  }
}

export function openSocket(url: string, timeoutMs = 5_000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * A client over several balancers: requests go to the current one; when its connection
 * drops, the client moves to the next and resends what is safe (reads and sessioned writes).
 */
export class FailoverTestClient {
  private connection: BalancerConnection | null = null;
  private index = 0;
  /** Times the client moved to another balancer. */
  moves = 0;

  constructor(private readonly urls: readonly string[]) {}

  async request(request: KvRequest, deadlineMs = 20_000): Promise<KvReply> {
    const endMs = Date.now() + deadlineMs;
    const safe = request.op === 'get' || request.session !== undefined;
    let lastError: unknown = new Error('no attempt');
    while (Date.now() < endMs) {
      try {
        const connection = await this.current();
        return await connection.request(request, Math.max(1, endMs - Date.now()));
      } catch (error) {
        lastError = error;
        this.drop();
        if (!safe) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw lastError;
  }

  close(): void {
    this.connection?.close();
    this.connection = null;
  }

  private async current(): Promise<BalancerConnection> {
    if (this.connection !== null) return this.connection;
    const url = this.urls[this.index % this.urls.length] as string;
    let connection: BalancerConnection;
    try {
      connection = await BalancerConnection.open(url);
    } catch (error) {
      this.index++;
      this.moves++;
      throw error;
    }
    void connection.closed.then(() => {
      if (this.connection === connection) this.drop();
    });
    this.connection = connection;
    return connection;
  }

  private drop(): void {
    if (this.connection === null) return;
    this.connection = null;
    this.index++;
    this.moves++;
  }
}
