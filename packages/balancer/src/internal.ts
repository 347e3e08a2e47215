// Internal surface of @troupe/balancer for sibling packages and tests.
export * from './index.js';
