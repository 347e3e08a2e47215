// Internal surface of @troupe/runtime for sibling packages and tests: wire-level pieces that
// are not part of the public API and may change without notice.

export { AskTable } from './actor/ask-table.js';
export { BoundedQueue } from './actor/bounded-queue.js';
export { AssertionError, assert, unreachable } from './assert.js';
export { phiOfNormal } from './detect/phi-accrual.js';
export { codeOf, errorFromCode, messageOf } from './errors.js';
export * from './index.js';
export { checkLimits } from './limits.js';
export { tokensEqual } from './transport/token.js';
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
