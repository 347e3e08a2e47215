// Internal surface of @troupe/node for sibling packages and tests.
export * from './index.js';
