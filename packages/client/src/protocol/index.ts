// The key-value wire protocol shared by node, balancer and client: request and reply shapes,
// their validation, the typed errors and the stable key -> shard hash. Imported by the servers
// as `@troupe/client/protocol`; it depends on nothing but the runtime.

export * from './admin-messages.js';
export * from './client-frames.js';
export * from './errors.js';
export type * from './kv-messages.js';
export * as kvLimits from './limits.js';
export * from './node-heartbeat.js';
export { errorFromReply, replyFromError } from './reply-errors.js';
export { fnv1a32, shardOf } from './shard-hash.js';
export {
  checkKey,
  checkRequest,
  isSessionTag,
  type RequestCheck,
  type RequestLimits,
} from './validate.js';
