// Every error the client raises, with its stable `code` (docs/errors.md). Branch on
// `instanceof` or on `code`, never on the message. "Definite" errors mean the operation did not
// take effect; TimeoutError and IndeterminateError mean it may have.
import { TroupeError } from '@troupe/runtime/errors';

export { OverloadedError, TimeoutError, TroupeError } from '@troupe/runtime/errors';
export {
  AlreadyExistsError,
  ForbiddenError,
  IndeterminateError,
  InvalidArgumentError,
  KeyTooLargeError,
  SessionExpiredError,
  SessionStaleError,
  StorageFullError,
  TokenExpiredError,
  UnavailableError,
  ValueTooLargeError,
  VersionConflictError,
} from './protocol/errors.js';

/**
 * The balancer refused the client's token (close code 4003: missing, malformed, bad signature,
 * expired at hello) or closed for policy (1008: the token expired while connected). Definite.
 */
export class UnauthorizedError extends TroupeError {
  override readonly name = 'UnauthorizedError';
  constructor(message: string) {
    super('TROUPE_ERR_UNAUTHORIZED', message);
  }
}

/** The balancer speaks another protocol version (close code 4002). Definite. */
export class ProtocolVersionError extends TroupeError {
  override readonly name = 'ProtocolVersionError';
  constructor(message: string) {
    super('TROUPE_ERR_PROTOCOL_VERSION', message);
  }
}

/** The client was closed before the operation finished, or used after `close()`. */
export class ClientClosedError extends TroupeError {
  override readonly name = 'ClientClosedError';
  constructor(message = 'the client is closed') {
    super('TROUPE_ERR_CLIENT_CLOSED', message);
  }
}

/** `modify` gave up after `attemptsMax` version conflicts in a row. Definite. */
export class ContentionError extends TroupeError {
  override readonly name = 'ContentionError';
  constructor(message: string) {
    super('TROUPE_ERR_CONTENTION', message);
  }
}
