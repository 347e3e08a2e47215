// ActorRef: the address of an actor (node id + path), local or remote alike. The same calls
// work either way; only latency and the failure modes (PeerUnavailableError) differ.

/** The plain, serialisable form of a ref: put this in messages, not the ref itself. */
export interface ActorAddress {
  nodeId: string;
  path: string;
}

export interface AskOptions {
  /** Reject with TimeoutError when no reply arrives within this time. Default 5000. */
  timeoutMs?: number;
}

/** What a ref delegates to; implemented by ActorSystem. */
export interface RefHost {
  tellTo(ref: ActorRef, message: unknown, sender: ActorRef | undefined): void;
  askTo(ref: ActorRef, message: unknown, options: AskOptions | undefined): Promise<unknown>;
}

/**
 * `M` is the message type the actor accepts and `R` the reply type of an ask. The host is a
 * private field, so msgpack never sees it if a ref ends up inside a message.
 */
export class ActorRef<M = unknown, R = unknown> {
  readonly #host: RefHost;

  constructor(
    host: RefHost,
    readonly nodeId: string,
    readonly path: string,
  ) {
    this.#host = host;
  }

  /** Fire and forget. Throws OverloadedError, PeerUnavailableError or PayloadTooLargeError. */
  tell(message: M, sender?: ActorRef): void {
    this.#host.tellTo(this, message, sender);
  }

  /** Request/response with a deadline. The reply is what the actor's `receive` returned. */
  ask(message: M, options?: AskOptions): Promise<R> {
    return this.#host.askTo(this, message, options) as Promise<R>;
  }

  get address(): ActorAddress {
    return { nodeId: this.nodeId, path: this.path };
  }

  equals(other: ActorRef | ActorAddress): boolean {
    return other.nodeId === this.nodeId && other.path === this.path;
  }

  toString(): string {
    return `${this.path}@${this.nodeId}`;
  }

  toJSON(): ActorAddress {
    return this.address;
  }
}
