// Internal surface of @troupe/client for sibling packages and tests.
export * from './index.js';
