// Internal surface of @troupe/client for tests: the pieces under the public API.
export { backoffMs, defaultBackoff } from './backoff.js';
export { BalancerLink, LinkRefusedError } from './connection.js';
export * from './index.js';
export { Pipeline } from './pipeline.js';
export { SessionPool } from './session.js';
