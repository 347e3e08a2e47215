// Internal surface of @troupe/runtime for sibling packages and tests: wire-level pieces that
// are not part of the public API and may change without notice.

export { AskTable } from './actor/ask-table.js';
export { BoundedQueue } from './actor/bounded-queue.js';
export { AssertionError, assert, unreachable } from './assert.js';
export * from './auth/client-token.js';
export * from './auth/handshake-proof.js';
export { handshakeNoncesMax, NonceCache } from './auth/nonce-cache.js';
export { phiOfNormal } from './detect/phi-accrual.js';
export { codeOf, errorFromCode, messageOf } from './errors.js';
export * from './index.js';
export { checkLimits } from './limits.js';
export {
  AddressLimiter,
  type GuardRefusal,
  guardListener,
  type ListenerGuardStats,
} from './transport/address-limiter.js';
export { WsTransport, type WsTransportOptions } from './transport/ws-transport.js';
export { errorCodeForClose } from './wire/close-codes.js';
export {
  arrayHeader,
  decodeFrame,
  decodeValue,
  encodeEnvelope,
  encodeFrame,
  encodeValue,
  encodeWholeFrame,
} from './wire/codec.js';
export * from './wire/envelope.js';
export { isValidActorPath, isValidNodeId } from './wire/names.js';
export { type Parsed, parseEnvelope, parseFrame, parseHandshake } from './wire/validate.js';
