// The runtime side of one actor: its mailbox, its current instance, and the loop that hands
// it one message at a time. A handler that returns a promise keeps the cell busy until it
// settles, so messages never interleave across an await. Failures go to supervision.
import { assert } from '../assert.js';
import {
  ActorFailedError,
  ActorStoppedError,
  InvalidMessageError,
  messageOf,
  OverloadedError,
} from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { TerminatedReason } from '../wire/envelope.js';
import { BoundedQueue } from './bounded-queue.js';
import type { ActorRef } from './ref.js';
import { decideSupervision, type SupervisionPolicy } from './supervision.js';
import type { Actor, ActorContext, ActorFactory, DeferredReply, Signal } from './types.js';

export interface Replier {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

type MailboxItem =
  | {
      kind: 'message';
      message: unknown;
      sender: ActorRef | undefined;
      replier: Replier | undefined;
    }
  | { kind: 'signal'; signal: Signal };

type CellState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped';

/** What a cell needs from its system. */
export interface CellHost {
  readonly clock: Clock;
  readonly messagesPerTurnMax: number;
  /** Builds the context object an actor sees (spawn, watch, ...). */
  contextFor(cell: ActorCell): ActorContext;
  /** The cell has fully stopped: unregister it and tell its watchers. */
  cellStopped(cell: ActorCell, reason: TerminatedReason): void;
}

export interface CellConfig {
  path: string;
  ref: ActorRef;
  factory: ActorFactory;
  mailboxDepthMax: number;
  supervision: SupervisionPolicy;
  logger: Logger;
  parent: ActorCell | undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

export class ActorCell {
  readonly path: string;
  readonly ref: ActorRef;
  readonly log: Logger;
  readonly parent: ActorCell | undefined;
  readonly children = new Map<string, ActorCell>();
  /** Local cells watching this one. */
  readonly watchers = new Set<ActorCell>();
  /** Remote nodes with at least one actor watching this one. */
  readonly remoteWatcherNodes = new Set<string>();
  /** What this cell watches, so it can let go when it stops. */
  readonly watching = new Set<ActorCell>();
  readonly watchingRemote = new Set<string>();
  readonly watchingNodes = new Set<string>();
  /** Sender of the message being handled. */
  currentSender: ActorRef | undefined;
  /** Replier of the message being handled; taken (set to undefined) by deferReply. */
  private currentReplier: Replier | undefined;
  private replyDeferred = false;
  /** Deferred replies not settled yet: rejected when the cell stops. */
  private readonly deferredReplies = new Set<DeferredReply>();

  private actor: Actor;
  private state: CellState = 'starting';
  private readonly mailbox: BoundedQueue<MailboxItem>;
  private readonly context: ActorContext;
  private busy = false;
  private scheduled = false;
  private stopRequested = false;
  private stopReason: TerminatedReason = 'stopped';
  private restartsMs: number[] = [];
  private restartTimer: TimerHandle | undefined;
  private readonly stopped: Promise<void>;
  private resolveStopped: () => void = () => {};

  constructor(
    private readonly host: CellHost,
    private readonly config: CellConfig,
  ) {
    this.path = config.path;
    this.ref = config.ref;
    this.log = config.logger;
    this.parent = config.parent;
    this.mailbox = new BoundedQueue(config.mailboxDepthMax);
    this.actor = config.factory();
    this.context = host.contextFor(this);
    this.stopped = new Promise((resolve) => {
      this.resolveStopped = resolve;
    });
  }

  get isStopped(): boolean {
    return this.state === 'stopped';
  }

  get mailboxLength(): number {
    return this.mailbox.length;
  }

  get isFull(): boolean {
    return this.mailbox.isFull;
  }

  /** Runs preStart, then starts taking messages. */
  start(): void {
    assert(this.state === 'starting', () => `start in state ${this.state}`);
    this.runLifecycle(
      () => this.actor.preStart?.(this.context),
      (error) => {
        if (error !== undefined) return this.supervise(error.cause);
        this.state = 'running';
        if (this.stopRequested) return this.beginStop();
        this.schedule();
      },
    );
  }

  /** Queues a message. Throws ActorStoppedError, InvalidMessageError or OverloadedError. */
  deliver(message: unknown, sender: ActorRef | undefined, replier: Replier | undefined): void {
    if (this.stopRequested || this.state === 'stopping' || this.state === 'stopped') {
      throw new ActorStoppedError(`actor ${this.path} is stopped`);
    }
    if (this.actor.accepts && !this.actor.accepts(message)) {
      throw new InvalidMessageError(`actor ${this.path} does not accept this message`);
    }
    if (!this.mailbox.push({ kind: 'message', message, sender, replier })) {
      throw new OverloadedError(`mailbox of ${this.path} is full (${this.mailbox.capacity})`);
    }
    this.schedule();
  }

  /** Queues a signal; signals are never refused, or a watcher could miss a death. */
  signal(signal: Signal): void {
    if (this.state === 'stopped') return;
    this.mailbox.pushForced({ kind: 'signal', signal });
    this.schedule();
  }

  /** Stops after the message in hand; resolves once postStop ran and watchers were told. */
  stop(reason: TerminatedReason = 'stopped'): Promise<void> {
    if (!this.stopRequested) {
      this.stopRequested = true;
      this.stopReason = reason;
      if (this.state === 'restarting') {
        this.restartTimer?.cancel();
        this.beginStop();
      } else if (!this.busy && this.state === 'running') {
        this.beginStop();
      }
    }
    return this.stopped;
  }

  /**
   * Stops now without waiting for a handler that never settles (shutdown deadline passed).
   * postStop is skipped: the instance is stuck in user code and cannot be trusted to run it.
   */
  forceStop(): void {
    if (this.state === 'stopped') return;
    this.log.warn('actor did not stop in time: forcing');
    this.stopRequested = true;
    this.restartTimer?.cancel();
    this.state = 'stopping';
    this.finishStop();
  }

  private schedule(): void {
    if (this.scheduled || this.busy || this.state !== 'running') return;
    this.scheduled = true;
    queueMicrotask(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.busy || this.state !== 'running') return;
    let budget = this.host.messagesPerTurnMax;
    while (budget-- > 0 && this.state === 'running' && !this.stopRequested) {
      const item = this.mailbox.shift();
      if (item === undefined) break;
      if (this.handle(item)) return;
    }
    this.afterTurn();
  };

  private afterTurn(): void {
    if (this.stopRequested && this.state === 'running') return this.beginStop();
    if (this.state !== 'running' || this.mailbox.length === 0 || this.scheduled) return;
    // Budget spent: yield to I/O and other actors, then carry on.
    this.scheduled = true;
    setImmediate(this.drain);
  }

  /** The current message's reply, detached from the handler's return value. */
  deferReply(): DeferredReply {
    assert(!this.replyDeferred, 'deferReply called twice for one message');
    this.replyDeferred = true;
    const replier = this.currentReplier;
    const replies = this.deferredReplies;
    let settled = false;
    const reply: DeferredReply = {
      get settled() {
        return settled;
      },
      resolve(value) {
        if (settled) return;
        settled = true;
        replies.delete(reply);
        replier?.resolve(value);
      },
      reject(error) {
        if (settled) return;
        settled = true;
        replies.delete(reply);
        replier?.reject(error);
      },
    };
    if (replier !== undefined) replies.add(reply);
    return reply;
  }

  /** Hands one item to the actor; returns true when the handler went async. */
  private handle(item: MailboxItem): boolean {
    let result: unknown;
    this.replyDeferred = false;
    try {
      if (item.kind === 'message') {
        this.currentSender = item.sender;
        this.currentReplier = item.replier;
        result = this.actor.receive(item.message, this.context);
      } else {
        this.currentSender = undefined;
        this.currentReplier = undefined;
        result = this.actor.onSignal?.(item.signal, this.context);
      }
    } catch (error) {
      this.handlerFailed(item, error);
      return false;
    }
    // A deferred reply is the actor's to settle; the return value means nothing then.
    const replier = this.replyDeferred || item.kind !== 'message' ? undefined : item.replier;
    if (!isThenable(result)) {
      replier?.resolve(result);
      return false;
    }
    this.busy = true;
    result.then(
      (value) => {
        this.busy = false;
        replier?.resolve(value);
        this.drain();
      },
      (error: unknown) => {
        this.busy = false;
        this.handlerFailed(item, error);
        this.drain();
      },
    );
    return true;
  }

  private handlerFailed(item: MailboxItem, error: unknown): void {
    if (item.kind === 'message' && item.replier && !this.replyDeferred) {
      const detail = `actor ${this.path} failed handling the message: ${messageOf(error)}`;
      item.replier.reject(new ActorFailedError(detail, { cause: error }));
    }
    this.log.error({ err: error }, 'actor failed');
    this.supervise(error);
  }

  private supervise(error: unknown): void {
    const nowMs = this.host.clock.nowMs();
    const decision = decideSupervision(this.config.supervision, this.restartsMs, nowMs);
    this.restartsMs = decision.restartsMs;
    if (decision.action === 'stop' || this.stopRequested) {
      this.log.error({ restarts: decision.restartsMs.length }, 'actor gave up: stopping');
      this.stopRequested = true;
      this.stopReason = decision.action === 'stop' ? 'failed' : this.stopReason;
      return this.beginStop();
    }
    this.state = 'restarting';
    this.restartTimer = this.host.clock.setTimer(decision.delayMs, () => this.restart(error));
  }

  private restart(error: unknown): void {
    this.restartTimer = undefined;
    this.runLifecycle(
      () => this.actor.preRestart?.(error, this.context),
      (hookError) => {
        if (hookError !== undefined) this.log.error({ err: hookError.cause }, 'preRestart threw');
        try {
          this.actor = this.config.factory();
        } catch (factoryError) {
          this.log.error({ err: factoryError }, 'actor factory threw on restart: stopping');
          this.stopRequested = true;
          this.stopReason = 'failed';
          return this.beginStop();
        }
        this.state = 'starting';
        this.log.info({ restarts: this.restartsMs.length }, 'actor restarted');
        this.start();
      },
    );
  }

  private beginStop(): void {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    const children = [...this.children.values()].map((child) => child.stop());
    void Promise.all(children).then(() => {
      if (this.state !== 'stopping') return;
      this.runLifecycle(
        () => this.actor.postStop?.(this.context),
        (error) => {
          if (error !== undefined) this.log.error({ err: error.cause }, 'postStop threw');
          this.finishStop();
        },
      );
    });
  }

  private finishStop(): void {
    assert(this.state === 'stopping', () => `finishStop in state ${this.state}`);
    this.state = 'stopped';
    for (const reply of [...this.deferredReplies]) {
      reply.reject(new ActorStoppedError(`actor ${this.path} stopped before replying`));
    }
    for (const item of this.mailbox.drain()) {
      if (item.kind === 'message') {
        item.replier?.reject(new ActorStoppedError(`actor ${this.path} stopped`));
      }
    }
    this.host.cellStopped(this, this.stopReason);
    this.resolveStopped();
  }

  /**
   * Runs a lifecycle hook with the cell marked busy, then `done` with an error wrapper (so a
   * hook that throws `undefined` is still seen as a failure) or undefined on success.
   */
  private runLifecycle(hook: () => unknown, done: (error: { cause: unknown } | undefined) => void) {
    let result: unknown;
    try {
      result = hook();
    } catch (error) {
      return done({ cause: error });
    }
    if (!isThenable(result)) return done(undefined);
    this.busy = true;
    result.then(
      () => {
        this.busy = false;
        done(undefined);
      },
      (error: unknown) => {
        this.busy = false;
        done({ cause: error });
      },
    );
  }
}
