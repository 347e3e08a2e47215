// Public surface of @troupe/node. Filled by its own issue; see README.md.
export const packageName = '@troupe/node';
