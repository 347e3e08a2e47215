// Typed operating errors of the runtime. Every error has a stable `code` (docs/errors.md) so
// callers and remote peers can branch on it; `cause` is passed through untouched.

/** Base class: all runtime errors carry a stable, documented code. */
export class TroupeError extends Error {
  override readonly name: string = 'TroupeError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** An ask got no reply before its deadline. Indeterminate: the message may have been handled. */
export class TimeoutError extends TroupeError {
  override readonly name = 'TimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_TIMEOUT', message, options);
  }
}

/** A bounded queue (mailbox, peer outbound queue, pending asks) is full. Definite: not sent. */
export class OverloadedError extends TroupeError {
  override readonly name = 'OverloadedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_OVERLOADED', message, options);
  }
}

/** No open connection to the peer node, or it was lost with the message in flight. */
export class PeerUnavailableError extends TroupeError {
  override readonly name = 'PeerUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_PEER_UNAVAILABLE', message, options);
  }
}

/** No actor lives at the addressed path. */
export class ActorNotFoundError extends TroupeError {
  override readonly name = 'ActorNotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_ACTOR_NOT_FOUND', message, options);
  }
}

/** The actor stopped before it handled the message. */
export class ActorStoppedError extends TroupeError {
  override readonly name = 'ActorStoppedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_ACTOR_STOPPED', message, options);
  }
}

/** The actor's handler threw while handling this message; supervision took over. */
export class ActorFailedError extends TroupeError {
  override readonly name = 'ActorFailedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_ACTOR_FAILED', message, options);
  }
}

/** An actor name is already taken on this system. */
export class DuplicateActorError extends TroupeError {
  override readonly name = 'DuplicateActorError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_DUPLICATE_ACTOR', message, options);
  }
}

/** The message failed the target actor's `accepts` check, or an argument was malformed. */
export class InvalidMessageError extends TroupeError {
  override readonly name = 'InvalidMessageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_INVALID_MESSAGE', message, options);
  }
}

/** An encoded message exceeds `envelopeBytesMax`. */
export class PayloadTooLargeError extends TroupeError {
  override readonly name = 'PayloadTooLargeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_PAYLOAD_TOO_LARGE', message, options);
  }
}

/** A value could not be encoded as msgpack (functions, symbols, cycles). */
export class EncodeError extends TroupeError {
  override readonly name = 'EncodeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_ENCODE', message, options);
  }
}

/** The actor system was shut down. */
export class SystemStoppedError extends TroupeError {
  override readonly name = 'SystemStoppedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_SYSTEM_STOPPED', message, options);
  }
}

/** The peer broke the wire protocol; the connection was closed with `closeCode`. */
export class ProtocolError extends TroupeError {
  override readonly name: string = 'ProtocolError';
  readonly closeCode: number;
  constructor(code: string, closeCode: number, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.closeCode = closeCode;
  }
}

/**
 * The peer did not prove the cluster secret (wrong, missing, replayed), or we did not prove it
 * to the peer: the handshake was closed with 1008. Never carries the secret or a proof.
 */
export class AuthenticationError extends ProtocolError {
  override readonly name: string = 'AuthenticationError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_AUTH', 1008, message, options);
  }
}

const byCode: Record<string, new (message: string) => TroupeError> = {
  TROUPE_ERR_TIMEOUT: TimeoutError,
  TROUPE_ERR_OVERLOADED: OverloadedError,
  TROUPE_ERR_PEER_UNAVAILABLE: PeerUnavailableError,
  TROUPE_ERR_ACTOR_NOT_FOUND: ActorNotFoundError,
  TROUPE_ERR_ACTOR_STOPPED: ActorStoppedError,
  TROUPE_ERR_ACTOR_FAILED: ActorFailedError,
  TROUPE_ERR_DUPLICATE_ACTOR: DuplicateActorError,
  TROUPE_ERR_INVALID_MESSAGE: InvalidMessageError,
  TROUPE_ERR_PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  TROUPE_ERR_ENCODE: EncodeError,
  TROUPE_ERR_SYSTEM_STOPPED: SystemStoppedError,
};

/**
 * Rebuilds a typed error from a code received over the wire, so a remote ask rejects with the
 * same class a local one would. Unknown codes keep their code on a plain TroupeError.
 */
export function errorFromCode(code: string, message: string): TroupeError {
  const ErrorClass = byCode[code];
  return ErrorClass ? new ErrorClass(message) : new TroupeError(code, message);
}

/** The stable code of any thrown value, for replies and logs. */
export function codeOf(error: unknown): string {
  return error instanceof TroupeError ? error.code : 'TROUPE_ERR_ACTOR_FAILED';
}

/** A one-line description of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
