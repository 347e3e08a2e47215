// Public surface of @troupe/balancer. Filled by its own issue; see README.md.
export const packageName = '@troupe/balancer';
