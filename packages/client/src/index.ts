// Public surface of @troupe/client: `createClient` and its options, results and errors. The
// wire protocol shared with balancers and nodes is `@troupe/client/protocol`.
export type { BackoffOptions } from './backoff.js';
export {
  type ClientOptions,
  type ClientStatus,
  createClient,
  type GetOptions,
  type GetResult,
  type ModifyOptions,
  TroupeClient,
  type WriteOptions,
  type WriteResult,
} from './client.js';
export * from './errors.js';
export type { Consistency } from './protocol/index.js';
export type {
  ClientTlsOptions,
  PemData,
  SocketEvent,
  SocketLike,
  WebSocketConstructor,
} from './socket.js';
export { decodeValue, encodeValue } from './values.js';
