// Which system a load process drives — Troupe through its balancers, or etcd through etcd3 —
// as plain data that travels to the process in its argv, and the target it opens from it.
import type { BenchTarget } from './bench-target.js';
import { EtcdTarget } from './etcd/etcd-target.js';
import { TroupeTarget } from './troupe-target.js';

export type TargetSpec =
  | { readonly kind: 'troupe'; readonly balancers: readonly string[] }
  | { readonly kind: 'etcd'; readonly clientUrls: readonly string[] };

export function openTarget(spec: TargetSpec): BenchTarget {
  return spec.kind === 'troupe'
    ? TroupeTarget.create(spec.balancers)
    : EtcdTarget.create(spec.clientUrls);
}
