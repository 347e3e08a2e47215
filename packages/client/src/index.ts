// Public surface of @troupe/client. Filled by its own issue; see README.md.
export const packageName = '@troupe/client';
