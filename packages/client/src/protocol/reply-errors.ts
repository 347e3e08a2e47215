// Turns an error reply from the wire back into its typed error class, and a typed error into
// the reply a node sends. Unknown codes keep their code on a plain TroupeError, so a newer
// server never makes an older client throw something untyped.
import { OverloadedError, TimeoutError, TroupeError } from '@troupe/runtime/errors';
import {
  AlreadyExistsError,
  ForbiddenError,
  IndeterminateError,
  InvalidArgumentError,
  KeyTooLargeError,
  NotLeaderError,
  SessionExpiredError,
  SessionStaleError,
  StorageFullError,
  TokenExpiredError,
  UnavailableError,
  ValueTooLargeError,
  VersionConflictError,
} from './errors.js';
import type { ErrorReply } from './kv-messages.js';

/** The error a failed reply stands for; `key` names the key in messages. */
export function errorFromReply(reply: ErrorReply, key: string): TroupeError {
  const current = reply.currentVersion ?? 0;
  switch (reply.code) {
    case 'TROUPE_ERR_NOT_LEADER':
      return new NotLeaderError(reply.shard ?? -1, reply.leader ?? null);
    case 'TROUPE_ERR_VERSION_CONFLICT':
      return versionMismatch(reply, key, current);
    case 'TROUPE_ERR_ALREADY_EXISTS':
      return new AlreadyExistsError(key, current);
    case 'TROUPE_ERR_INVALID_ARGUMENT':
      return new InvalidArgumentError(reply.message);
    case 'TROUPE_ERR_KEY_TOO_LARGE':
      return new KeyTooLargeError(reply.message);
    case 'TROUPE_ERR_VALUE_TOO_LARGE':
      return new ValueTooLargeError(reply.message);
    case 'TROUPE_ERR_STORAGE_FULL':
      return new StorageFullError(reply.message);
    case 'TROUPE_ERR_SESSION_EXPIRED':
      return new SessionExpiredError(reply.message);
    case 'TROUPE_ERR_SESSION_STALE':
      return new SessionStaleError(reply.message);
    case 'TROUPE_ERR_INDETERMINATE':
      return new IndeterminateError(reply.message);
    case 'TROUPE_ERR_UNAVAILABLE':
      return new UnavailableError(reply.message);
    case 'TROUPE_ERR_OVERLOADED':
      return new OverloadedError(reply.message);
    case 'TROUPE_ERR_TIMEOUT':
      return new TimeoutError(reply.message);
    case 'TROUPE_ERR_FORBIDDEN':
      return new ForbiddenError(reply.message);
    case 'TROUPE_ERR_TOKEN_EXPIRED':
      return new TokenExpiredError(reply.message);
    default:
      return new TroupeError(reply.code, reply.message);
  }
}

function versionMismatch(reply: ErrorReply, key: string, current: number): TroupeError {
  // The expected version is not on the wire; the message from the node already names it.
  const error = new VersionConflictError(key, -1, current);
  error.message = reply.message;
  return error;
}

/** The reply that carries `error` to the other side. */
export function replyFromError(error: TroupeError): ErrorReply {
  const base = { ok: false as const, code: error.code, message: error.message };
  if (error instanceof NotLeaderError) {
    return { ...base, shard: error.shard, leader: error.leader };
  }
  if (error instanceof VersionConflictError || error instanceof AlreadyExistsError) {
    return { ...base, currentVersion: error.currentVersion };
  }
  return base;
}
