// The availability model of the design brief: the probability that an operation can be served
// when each replica (and balancer) is up independently with a known probability. The
// `troupe availability` CLI prints it and the chaos harness sets it beside what clients saw.
// Homogeneous forms use the closed formulas; heterogeneous ones (each node its own p) use an
// exact Poisson-binomial dynamic programme. Pure: no I/O, no clock.
import { InvalidMessageError } from './errors.js';

/** Operation kinds with an availability of their own. */
export type AvailabilityKind = 'get' | 'stale-get' | 'update' | 'create' | 'delete';

export interface AvailabilityTableRow {
  readonly kind: AvailabilityKind;
  /** The formula in words and symbols, e.g. 'any of 3 nodes: 1 - (1-p)^3'. */
  readonly formula: string;
  readonly probability: number;
}

/**
 * The balancer tier in front of the nodes. A client fails over between balancers, so the
 * tier is up when any balancer is: `1 - (1-pb)^b`, the primary/backup formula
 * `1 - (1-p)(1-q)` generalised from 2 to b replicas with equal p. It fails independently of
 * the nodes, so it multiplies each row.
 */
export interface BalancerTier {
  readonly balancers: number;
  readonly balancerP: number;
}

/** Probability that at least one of n replicas, each up with probability p, is up. */
export function anyReplicaAvailability(p: number, n: number): number {
  checkProbability(p, 'p');
  checkCount(n, 'n');
  return 1 - (1 - p) ** n;
}

/** Probability that the primary (up with p) or its backup (up with q) is up. */
export function primaryBackupAvailability(p: number, q: number): number {
  checkProbability(p, 'p');
  checkProbability(q, 'q');
  return 1 - (1 - p) * (1 - q);
}

/**
 * Probability that a majority (floor(n/2)+1) of n replicas, each up with p, is up:
 * sum over k >= floor(n/2)+1 of C(n,k) p^k (1-p)^(n-k).
 */
export function majorityQuorumAvailability(p: number, n: number): number {
  checkProbability(p, 'p');
  checkCount(n, 'n');
  // The log form below needs log p and log(1-p) finite; the ends are exact anyway.
  if (p === 0) return 0;
  if (p === 1) return 1;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  // C(n,k) overflows a double past n ~ 1000 while p^k underflows, so each term is built in
  // log space; logChoose walks C(n,k) = C(n,k-1) (n-k+1) / k up from k = 0.
  let logChoose = 0;
  let sum = 0;
  const quorum = Math.floor(n / 2) + 1;
  for (let k = 1; k <= n; k++) {
    logChoose += Math.log(n - k + 1) - Math.log(k);
    if (k >= quorum) sum += Math.exp(logChoose + k * logP + (n - k) * logQ);
  }
  return Math.min(1, sum);
}

/**
 * Probability that at least k of independent nodes are up, node i with probability ps[i]
 * (the Poisson-binomial tail). Exact: the distribution of the number up is built one node at
 * a time, O(n^2).
 */
export function atLeastAvailability(ps: readonly number[], k: number): number {
  for (const [i, p] of ps.entries()) checkProbability(p, `ps[${i}]`);
  if (!Number.isSafeInteger(k) || k < 0 || k > ps.length) {
    throw new InvalidMessageError(`k must be an integer in [0, ${ps.length}], got ${k}`);
  }
  // upCount[j] = probability that exactly j of the nodes seen so far are up.
  const upCount = new Float64Array(ps.length + 1);
  upCount[0] = 1;
  ps.forEach((p, seen) => {
    // Walk down so that upCount[j - 1] is still the value before this node was added.
    for (let j = seen + 1; j >= 1; j--) {
      upCount[j] = upCount[j]! * (1 - p) + upCount[j - 1]! * p;
    }
    upCount[0] = upCount[0]! * (1 - p);
  });
  let tail = 0;
  for (let j = k; j <= ps.length; j++) tail += upCount[j]!;
  return Math.min(1, tail);
}

/** Probability that at least one of independent nodes (node i up with ps[i]) is up. */
export function anyAvailability(ps: readonly number[]): number {
  checkCount(ps.length, 'the number of nodes');
  return atLeastAvailability(ps, 1);
}

/** Probability that a majority of independent nodes (node i up with ps[i]) is up. */
export function majorityAvailability(ps: readonly number[]): number {
  checkCount(ps.length, 'the number of nodes');
  return atLeastAvailability(ps, Math.floor(ps.length / 2) + 1);
}

/**
 * Availability of each operation kind of a cluster of n nodes each up with p, optionally
 * reached through a balancer tier (see BalancerTier). A linearizable get needs a majority
 * like a write, because ReadIndex confirms leadership with a quorum; a stale get may be
 * served by any replica.
 */
export function availabilityTable(
  p: number,
  n: number,
  through?: BalancerTier,
): AvailabilityTableRow[] {
  const majority = majorityQuorumAvailability(p, n);
  const any = anyReplicaAvailability(p, n);
  const quorum = Math.floor(n / 2) + 1;
  const sumText = `sum_{k=${quorum}..${n}} C(${n},k) p^k (1-p)^(${n}-k)`;
  const majorityText = `majority of ${n} nodes: ${sumText}`;
  const anyText = `any of ${n} nodes: 1 - (1-p)^${n}`;
  let tierFactor = 1;
  let tierText = '';
  if (through !== undefined) {
    tierFactor = anyReplicaAvailability(through.balancerP, through.balancers);
    tierText = ` x any of ${through.balancers} balancers: 1 - (1-pb)^${through.balancers}`;
  }
  const row = (kind: AvailabilityKind, text: string, node: number): AvailabilityTableRow => ({
    kind,
    formula: `${text}${tierText}`,
    probability: node * tierFactor,
  });
  return [
    row('get', `${majorityText} (ReadIndex needs a quorum)`, majority),
    row('stale-get', anyText, any),
    row('update', majorityText, majority),
    row('create', majorityText, majority),
    row('delete', majorityText, majority),
  ];
}

function checkProbability(p: number, name: string): void {
  // Written so that NaN fails too.
  if (!(p >= 0 && p <= 1)) {
    throw new InvalidMessageError(`${name} must be a probability in [0, 1], got ${p}`);
  }
}

function checkCount(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidMessageError(`${name} must be an integer >= 1, got ${n}`);
  }
}
