// What an actor is: an object whose `receive` handles one message at a time. Its return value
// is the reply to an ask. Throwing means the actor is broken and hands it to supervision; an
// expected failure (a version conflict, a missing key) should be returned as a value instead.
import type { Logger } from '../log.js';
import type { TerminatedReason } from '../wire/envelope.js';
import type { ActorRef } from './ref.js';
import type { SupervisionPolicy } from './supervision.js';

/** Delivered through the mailbox, in order with messages, to an actor that asked to watch. */
export type Signal =
  | { type: 'terminated'; ref: ActorRef; reason: TerminatedReason }
  | { type: 'node-down'; nodeId: string; reason: string };

export interface ActorContext<M = unknown> {
  readonly self: ActorRef<M>;
  readonly log: Logger;
  /** Sender of the message being handled, when it gave one. */
  readonly sender: ActorRef | undefined;
  /** Be told (a `terminated` signal) when `ref` stops, fails for good, or its node goes. */
  watch(ref: ActorRef): void;
  unwatch(ref: ActorRef): void;
  /** Be told (a `node-down` signal) when the connection to a node is lost. */
  watchNode(nodeId: string): void;
  /** Starts a child: its path is under this actor's, and it stops when this actor stops. */
  spawn<CM, CR>(
    name: string,
    factory: ActorFactory<CM, CR>,
    options?: SpawnOptions,
  ): ActorRef<CM, CR>;
  /** Stops this actor once the current message is handled. */
  stop(): void;
  /**
   * Takes over the reply to the message being handled, for an actor that answers later (a
   * Raft replica answers once the entry commits) without blocking its mailbox meanwhile. The
   * handler's return value is then ignored; the asker gets what is passed to the returned
   * reply, or its own deadline. For a tell the reply goes nowhere. Unsettled replies are
   * rejected with ActorStoppedError when the actor stops.
   */
  deferReply<R = unknown>(): DeferredReply<R>;
}

/** A reply handed out by `deferReply`; only the first settle counts. */
export interface DeferredReply<R = unknown> {
  resolve(value: R): void;
  reject(error: Error): void;
  readonly settled: boolean;
}

export interface Actor<M = unknown, R = unknown> {
  /**
   * Checks a message before it reaches the mailbox. Remote input is untrusted: a message that
   * fails is refused with InvalidMessageError (to an asker) or logged and dropped (a tell).
   */
  accepts?(message: unknown): message is M;
  preStart?(context: ActorContext<M>): void | Promise<void>;
  receive(message: M, context: ActorContext<M>): R | Promise<R>;
  onSignal?(signal: Signal, context: ActorContext<M>): void | Promise<void>;
  /** Called on the failed instance before it is replaced. */
  preRestart?(error: unknown, context: ActorContext<M>): void | Promise<void>;
  postStop?(context: ActorContext<M>): void | Promise<void>;
}

/** Makes a fresh instance: called at spawn and again at every restart. */
export type ActorFactory<M = unknown, R = unknown> = () => Actor<M, R>;

export interface SpawnOptions {
  /** Overrides the system's mailbox depth for this actor. */
  mailboxDepthMax?: number;
  supervision?: Partial<SupervisionPolicy>;
  /**
   * The log component of this actor's `context.log` and supervision lines (`kv`, `raft`),
   * so its level can be set apart; `actor` by default. Its children do not inherit it.
   */
  logComponent?: string;
}
