// Typed errors of the key-value protocol, shared by node, balancer and client. A node replies
// with `{ ok: false, code, message }`; `kvErrorFromReply` turns that back into the class here,
// so a caller can branch on `instanceof` or on the stable `code` (docs/errors.md).
// The runtime's errors module has no imports: a browser bundle of the SDK can carry it.
import { TroupeError } from '@troupe/runtime/errors';

/** Where the leader of a shard is believed to be, when the replier knows. */
export interface LeaderHint {
  readonly nodeId: string;
  /** The node's peer URL (ws://host:port), when known. */
  readonly url: string | null;
}

/** This replica is not the shard's leader. Definite: nothing was applied. */
export class NotLeaderError extends TroupeError {
  override readonly name = 'NotLeaderError';
  readonly shard: number;
  readonly leader: LeaderHint | null;
  constructor(shard: number, leader: LeaderHint | null, options?: { cause?: unknown }) {
    const where = leader === null ? 'leader unknown' : `leader is ${leader.nodeId}`;
    super('TROUPE_ERR_NOT_LEADER', `not the leader of shard ${shard} (${where})`, options);
    this.shard = shard;
    this.leader = leader;
  }
}

/** `ifVersion` did not match the key's current version (0 = absent). Definite. */
export class VersionConflictError extends TroupeError {
  override readonly name = 'VersionConflictError';
  readonly currentVersion: number;
  constructor(key: string, expected: number, currentVersion: number) {
    super(
      'TROUPE_ERR_VERSION_CONFLICT',
      `key ${JSON.stringify(key)} is at version ${currentVersion}, not ${expected}`,
    );
    this.currentVersion = currentVersion;
  }
}

/** `create` found the key present. Definite. */
export class AlreadyExistsError extends TroupeError {
  override readonly name = 'AlreadyExistsError';
  readonly currentVersion: number;
  constructor(key: string, currentVersion: number) {
    super(
      'TROUPE_ERR_ALREADY_EXISTS',
      `key ${JSON.stringify(key)} exists (version ${currentVersion})`,
    );
    this.currentVersion = currentVersion;
  }
}

/** A malformed request, or a key or value outside its bounds. Definite. */
export class InvalidArgumentError extends TroupeError {
  override readonly name: string = 'InvalidArgumentError';
  constructor(
    message: string,
    options?: { cause?: unknown },
    code = 'TROUPE_ERR_INVALID_ARGUMENT',
  ) {
    super(code, message, options);
  }
}

/** The key is longer than keyBytesMax. Definite; an InvalidArgumentError with its own code. */
export class KeyTooLargeError extends InvalidArgumentError {
  override readonly name: string = 'KeyTooLargeError';
  constructor(message: string) {
    super(message, undefined, 'TROUPE_ERR_KEY_TOO_LARGE');
  }
}

/** The encoded value is larger than valueBytesMax. Definite; an InvalidArgumentError. */
export class ValueTooLargeError extends InvalidArgumentError {
  override readonly name: string = 'ValueTooLargeError';
  constructor(message: string) {
    super(message, undefined, 'TROUPE_ERR_VALUE_TOO_LARGE');
  }
}

/** The node's store is (nearly) full: writes are refused, reads go on. Definite. */
export class StorageFullError extends TroupeError {
  override readonly name = 'StorageFullError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_STORAGE_FULL', message, options);
  }
}

/**
 * The session's history is gone (expired, or evicted to bound memory) and this request is not
 * its first: the node cannot tell whether an earlier try applied. Definite for this try.
 */
export class SessionExpiredError extends TroupeError {
  override readonly name = 'SessionExpiredError';
  constructor(message: string) {
    super('TROUPE_ERR_SESSION_EXPIRED', message);
  }
}

/** A request older than the session's last applied one: a client bug, or a replay. */
export class SessionStaleError extends TroupeError {
  override readonly name = 'SessionStaleError';
  constructor(message: string) {
    super('TROUPE_ERR_SESSION_STALE', message);
  }
}

/**
 * The request may or may not have been applied: the leader lost leadership or the node went
 * away after accepting it. Retrying with the same session id and sequence number is safe.
 */
export class IndeterminateError extends TroupeError {
  override readonly name = 'IndeterminateError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_INDETERMINATE', message, options);
  }
}

/**
 * The client token does not allow this request: the key is outside the token's prefix, or the
 * token is read-only and the request writes. Definite: nothing was applied.
 */
export class ForbiddenError extends TroupeError {
  override readonly name = 'ForbiddenError';
  constructor(message: string) {
    super('TROUPE_ERR_FORBIDDEN', message);
  }
}

/** The client token expired; the balancer also closed the connection (1008). Definite. */
export class TokenExpiredError extends TroupeError {
  override readonly name = 'TokenExpiredError';
  constructor(message: string) {
    super('TROUPE_ERR_TOKEN_EXPIRED', message);
  }
}

/** The node could not take the request now (busy, shutting down, no quorum). Definite. */
export class UnavailableError extends TroupeError {
  override readonly name = 'UnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_UNAVAILABLE', message, options);
  }
}
