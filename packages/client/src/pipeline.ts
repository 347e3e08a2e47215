// The request pipeline under the client's API: requests wait in a bounded queue, go out over
// the current balancer link up to the in-flight limit, and are answered, retried or failed.
// Every request is safe to resend — reads, and writes that carry a session — so a request in
// flight when its link drops is sent again on the next link, and one answered Unavailable,
// Overloaded or Indeterminate is sent again after a backoff, all within its own deadline.
// Links: one at a time; when it closes (or cannot open) the next balancer in the list is tried
// after a backoff with jitter.
import { OverloadedError, TimeoutError, type TroupeError } from '@troupe/runtime/errors';
import { type BackoffOptions, backoffMs } from './backoff.js';
import { BalancerLink, type KeepaliveOptions, LinkRefusedError } from './connection.js';
import { ClientClosedError, ProtocolVersionError, UnauthorizedError } from './errors.js';
import type { KvReply, KvRequest } from './protocol/index.js';
import {
  ClientCloseCode,
  errorFromReply,
  InvalidArgumentError,
  UnavailableError,
} from './protocol/index.js';
import type { WebSocketConstructor } from './socket.js';

export interface PipelineOptions {
  readonly balancers: readonly string[];
  readonly token: string | null;
  readonly name: string;
  readonly connectTimeoutMs: number;
  /** Pinging a silent balancer, and giving up on it. */
  readonly keepalive: KeepaliveOptions;
  readonly inflightMax: number;
  readonly queueMax: number;
  readonly backoff: BackoffOptions;
  readonly webSocket: () => Promise<WebSocketConstructor>;
  readonly random: () => number;
  readonly onStatus: (status: ClientStatus) => void;
}

export interface ClientStatus {
  readonly state: 'idle' | 'connecting' | 'connected' | 'closed';
  /** The balancer the client talks to now. */
  readonly balancer: string | null;
  readonly inflight: number;
  readonly queued: number;
  /** Links opened so far; more than one means the client moved or reconnected. */
  readonly connects: number;
}

/** The final reply, and how many times the request was sent to get it. */
export interface Answer {
  readonly reply: KvReply;
  readonly sends: number;
}

interface Pending {
  readonly id: number;
  readonly request: KvRequest;
  readonly deadlineMs: number;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly resolve: (answer: Answer) => void;
  readonly reject: (error: Error) => void;
  link: BalancerLink | null;
  sends: number;
  retries: number;
  /** A send of it may have been applied (its link dropped, or Indeterminate came back). */
  maybeApplied: boolean;
  lastError: TroupeError | null;
}

const retriedCodes = new Set([
  'TROUPE_ERR_UNAVAILABLE',
  'TROUPE_ERR_OVERLOADED',
  'TROUPE_ERR_INDETERMINATE',
  'TROUPE_ERR_NOT_LEADER',
]);

export class Pipeline {
  private readonly pending = new Map<number, Pending>();
  private queue: Pending[] = [];
  private link: BalancerLink | null = null;
  private connecting = false;
  private connects = 0;
  private balancerIndex: number;
  private nextId = 1;
  private closedBy: Error | null = null;
  private inflight = 0;
  /** Links closed since the last reply: the next link waits a backoff that grows with it. */
  private linkDrops = 0;
  /** Why the last connection attempt failed, for the error of a request that never got one. */
  private lastRefusal = '';

  constructor(private readonly options: PipelineOptions) {
    this.balancerIndex = Math.floor(options.random() * options.balancers.length);
  }

  status(): ClientStatus {
    const state =
      this.closedBy !== null
        ? 'closed'
        : this.link !== null
          ? 'connected'
          : this.connecting
            ? 'connecting'
            : 'idle';
    return {
      state,
      balancer: this.link?.url ?? null,
      inflight: this.inflight,
      queued: this.queue.length,
      connects: this.connects,
    };
  }

  /** Sends `request` until a final reply or `timeoutMs`; rejects with a typed error. */
  execute(request: KvRequest, timeoutMs: number): Promise<Answer> {
    if (this.closedBy !== null) return Promise.reject(this.closedBy);
    if (this.pending.size >= this.options.inflightMax + this.options.queueMax) {
      const message = `${this.pending.size} requests already pending (inflightMax + queueMax)`;
      return Promise.reject(new OverloadedError(message));
    }
    return new Promise((resolve, reject) => {
      const id = this.takeId();
      const timer = setTimeout(() => this.expire(id), timeoutMs);
      const p: Pending = {
        id,
        request,
        deadlineMs: Date.now() + timeoutMs,
        timer,
        resolve,
        reject,
        link: null,
        sends: 0,
        retries: 0,
        maybeApplied: false,
        lastError: null,
      };
      this.pending.set(id, p);
      this.queue.push(p);
      this.pump();
    });
  }

  /** Fails everything pending with ClientClosedError and closes the link. */
  close(): void {
    if (this.closedBy !== null) return;
    this.closedBy = new ClientClosedError();
    this.failAll(this.closedBy);
    this.link?.close(ClientCloseCode.normal, 'client closed');
    this.link = null;
    this.report();
  }

  private takeId(): number {
    do {
      this.nextId = this.nextId >= 0xffff_ffff ? 1 : this.nextId + 1;
    } while (this.pending.has(this.nextId));
    return this.nextId;
  }

  private pump(): void {
    if (this.closedBy !== null) return;
    const link = this.link;
    if (link === null || !link.isOpen) {
      if (this.waiting()) this.connect();
      return;
    }
    const limit = Math.min(this.options.inflightMax, link.welcome.inflightMax);
    while (this.queue.length > 0 && this.inflight < limit) {
      const p = this.queue.shift() as Pending;
      if (!this.pending.has(p.id)) continue;
      p.link = link;
      p.sends++;
      this.inflight++;
      link.send(p.id, p.request, p.deadlineMs - Date.now());
    }
  }

  /** Whether any request waits for a link (queued, or pausing before a retry). */
  private waiting(): boolean {
    return this.pending.size > this.inflight;
  }

  /** `p` is no longer in flight on any link. */
  private landed(p: Pending): void {
    if (p.link === null) return;
    p.link = null;
    this.inflight--;
  }

  private onReply(link: BalancerLink, id: number, reply: KvReply): void {
    if (link === this.link) this.linkDrops = 0;
    const p = this.pending.get(id);
    if (p === undefined || p.link !== link) return;
    this.landed(p);
    if (reply.ok || !retriedCodes.has(reply.code)) return this.settle(p, reply);
    if (reply.code === 'TROUPE_ERR_INDETERMINATE') p.maybeApplied = true;
    // The typed class (UnavailableError, OverloadedError, ...) if the deadline ends the retries.
    p.lastError = errorFromReply(reply, p.request.key);
    const delayMs = backoffMs(this.options.backoff, p.retries++, this.options.random);
    if (Date.now() + delayMs >= p.deadlineMs) return this.expire(id);
    setTimeout(() => {
      if (!this.pending.has(id)) return;
      this.queue.push(p);
      this.pump();
    }, delayMs);
    this.pump();
  }

  private onLinkClosed(link: BalancerLink, code: number, reason: string): void {
    if (this.link !== link) return;
    this.link = null;
    const orphans = [...this.pending.values()].filter((p) => p.link === link);
    for (const p of orphans) {
      this.landed(p);
      if (p.request.op !== 'get') p.maybeApplied = true;
    }
    // Resend in the order they were first sent, ahead of what never left.
    this.queue = [...orphans.sort((a, b) => a.id - b.id), ...this.queue];
    this.balancerIndex++;
    this.linkDrops++;
    if (this.refusedForGood(code, reason)) return;
    this.report();
    this.pump();
  }

  /** Closes that no other balancer will answer differently fail everything. */
  private refusedForGood(code: number, reason: string): boolean {
    if (code === ClientCloseCode.unauthorized || code === ClientCloseCode.unauthenticated) {
      this.failAll(new UnauthorizedError(`balancer refused the token: ${reason}`));
      return true;
    }
    if (code === ClientCloseCode.protocolVersion) {
      this.failAll(new ProtocolVersionError(`balancer refused the protocol: ${reason}`));
      return true;
    }
    return false;
  }

  private connect(): void {
    if (this.connecting || this.closedBy !== null) return;
    this.connecting = true;
    this.report();
    void this.connectLoop().finally(() => {
      this.connecting = false;
      this.pump();
    });
  }

  private async connectLoop(): Promise<void> {
    let WebSocketClass: WebSocketConstructor;
    try {
      WebSocketClass = await this.options.webSocket();
    } catch (error) {
      // No global WebSocket and no `ws` package: nothing can ever connect.
      this.failAll(new InvalidArgumentError(`no WebSocket implementation: ${String(error)}`));
      return;
    }
    const { balancers, token, name, connectTimeoutMs } = this.options;
    // After a link drop too, a backoff: a balancer that takes connections and drops them must
    // not be dialled in a hot loop, and clients that lost one balancer must not move in step.
    for (let attempt = this.linkDrops; this.waiting() && this.closedBy === null; attempt++) {
      if (attempt > 0) {
        await sleep(backoffMs(this.options.backoff, attempt - 1, this.options.random));
        if (!this.waiting() || this.closedBy !== null) return;
      }
      const url = balancers[this.balancerIndex % balancers.length] as string;
      try {
        const link = await BalancerLink.open(
          url,
          WebSocketClass,
          { token, name },
          connectTimeoutMs,
        );
        if (this.closedBy !== null) return link.close();
        this.adopt(link);
        return;
      } catch (error) {
        const code = error instanceof LinkRefusedError ? error.closeCode : 0;
        this.lastRefusal = error instanceof Error ? error.message : String(error);
        if (this.refusedForGood(code, error instanceof Error ? error.message : '')) return;
        this.balancerIndex++;
      }
    }
  }

  private adopt(link: BalancerLink): void {
    this.link = link;
    this.connects++;
    link.attach(
      {
        reply: (id, reply) => this.onReply(link, id, reply),
        closed: (code, reason) => this.onLinkClosed(link, code, reason),
      },
      this.options.keepalive,
    );
    this.report();
  }

  private settle(p: Pending, reply: KvReply): void {
    this.forget(p);
    p.resolve({ reply, sends: p.sends });
    this.pump(); // its room in flight goes to the next queued request
  }

  private expire(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    // Before forget(): whether it is still in flight decides what the error says.
    const error = this.deadlineError(p);
    this.forget(p);
    p.reject(error);
    this.pump();
  }

  private deadlineError(p: Pending): Error {
    const what = `${p.request.op} ${JSON.stringify(p.request.key)}`;
    if (p.maybeApplied || (p.link !== null && p.request.op !== 'get')) {
      return new TimeoutError(`${what}: no answer before the deadline; it may have been applied`);
    }
    if (p.lastError !== null) return p.lastError;
    if (p.sends > 0) return new TimeoutError(`${what}: no answer before the deadline`);
    const last = this.lastRefusal === '' ? '' : ` (last: ${this.lastRefusal})`;
    return new UnavailableError(`${what}: no balancer reachable before the deadline${last}`);
  }

  private forget(p: Pending): void {
    clearTimeout(p.timer);
    this.landed(p);
    this.pending.delete(p.id);
    // A queued request that ends (deadline) stays in the queue and is skipped by pump(); the
    // queue is compacted once such leftovers outnumber the live entries.
    if (this.queue.length > 2 * this.pending.size + 64) {
      this.queue = this.queue.filter((q) => this.pending.has(q.id));
    }
  }

  private failAll(error: Error): void {
    for (const p of [...this.pending.values()]) {
      this.forget(p);
      p.reject(error);
    }
    this.queue = [];
    if (!(error instanceof ClientClosedError)) this.closedBy = error;
  }

  private report(): void {
    this.options.onStatus(this.status());
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
