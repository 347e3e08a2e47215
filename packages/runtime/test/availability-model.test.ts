// The availability model against the design brief's numbers (p = 0.99, n = 3), its edges
// (n = 1, p = 0 and 1), the exact heterogeneous forms against the closed ones, monotonicity
// in p, and typed errors with a stable code for bad arguments.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  anyAvailability,
  anyReplicaAvailability,
  atLeastAvailability,
  availabilityTable,
  InvalidMessageError,
  majorityAvailability,
  majorityQuorumAvailability,
  primaryBackupAvailability,
} from '../src/index.js';

const seed = 42;
const probability = fc.double({ min: 0, max: 1, noNaN: true });
const nodeCount = fc.integer({ min: 1, max: 15 });

/** C(n, k) p^k (1-p)^(n-k) summed by brute force over every up/down pattern. */
function bruteAtLeast(ps: readonly number[], k: number): number {
  let total = 0;
  for (let mask = 0; mask < 2 ** ps.length; mask++) {
    let chance = 1;
    let up = 0;
    ps.forEach((p, i) => {
      const isUp = (mask >> i) & 1;
      up += isUp;
      chance *= isUp ? p : 1 - p;
    });
    if (up >= k) total += chance;
  }
  return total;
}

function thrownBy(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('closed formulas', () => {
  test('the brief numbers for p = 0.99 and n = 3', () => {
    expect(anyReplicaAvailability(0.99, 3)).toBeCloseTo(0.999999, 12);
    expect(majorityQuorumAvailability(0.99, 3)).toBeCloseTo(0.999702, 12);
    // 3p^2 - 2p^3: two or three of three up.
    expect(majorityQuorumAvailability(0.99, 3)).toBeCloseTo(3 * 0.99 ** 2 - 2 * 0.99 ** 3, 14);
    expect(primaryBackupAvailability(0.99, 0.9)).toBeCloseTo(0.999, 14);
  });

  test('one replica is as available as itself', () => {
    for (const p of [0, 0.3, 0.99, 1]) {
      expect(anyReplicaAvailability(p, 1)).toBeCloseTo(p, 14);
      expect(majorityQuorumAvailability(p, 1)).toBeCloseTo(p, 14);
      expect(anyAvailability([p])).toBeCloseTo(p, 14);
      expect(majorityAvailability([p])).toBeCloseTo(p, 14);
    }
  });

  test('p = 0 and p = 1 give exactly 0 and 1', () => {
    for (const n of [1, 2, 3, 5, 2_000]) {
      expect(anyReplicaAvailability(0, n)).toBe(0);
      expect(anyReplicaAvailability(1, n)).toBe(1);
      expect(majorityQuorumAvailability(0, n)).toBe(0);
      expect(majorityQuorumAvailability(1, n)).toBe(1);
    }
    expect(primaryBackupAvailability(0, 0)).toBe(0);
    expect(primaryBackupAvailability(1, 0)).toBe(1);
  });

  test('an even cluster needs more than half: 2 of 2, 3 of 4', () => {
    expect(majorityQuorumAvailability(0.9, 2)).toBeCloseTo(0.81, 14);
    expect(majorityQuorumAvailability(0.9, 4)).toBeCloseTo(4 * 0.9 ** 3 * 0.1 + 0.9 ** 4, 14);
  });

  test('large clusters stay finite (no overflow of C(n,k))', () => {
    const big = majorityQuorumAvailability(0.6, 2_001);
    expect(Number.isFinite(big)).toBe(true);
    expect(big).toBeGreaterThan(0.999_999);
    expect(big).toBeLessThanOrEqual(1);
    expect(majorityQuorumAvailability(0.5, 2_001)).toBeCloseTo(0.5, 10);
  });
});

describe('heterogeneous nodes', () => {
  test('at least k of three different nodes, against brute force', () => {
    const ps = [0.9, 0.5, 0.99];
    for (let k = 0; k <= ps.length; k++) {
      expect(atLeastAvailability(ps, k)).toBeCloseTo(bruteAtLeast(ps, k), 14);
    }
    expect(atLeastAvailability(ps, 0)).toBe(1);
    expect(atLeastAvailability([], 0)).toBe(1);
  });

  test('equal probabilities give the closed formulas', () => {
    fc.assert(
      fc.property(probability, nodeCount, (p, n) => {
        const ps = Array<number>(n).fill(p);
        expect(anyAvailability(ps)).toBeCloseTo(anyReplicaAvailability(p, n), 12);
        expect(majorityAvailability(ps)).toBeCloseTo(majorityQuorumAvailability(p, n), 12);
      }),
      { seed },
    );
  });

  test('the dynamic programme equals brute force over every pattern', () => {
    const ps = fc.array(probability, { minLength: 0, maxLength: 8 });
    fc.assert(
      fc.property(ps, fc.nat(), (probabilities, pick) => {
        const k = pick % (probabilities.length + 1);
        expect(atLeastAvailability(probabilities, k)).toBeCloseTo(
          bruteAtLeast(probabilities, k),
          12,
        );
      }),
      { seed },
    );
  });

  test('availability never falls when any node gets more reliable', () => {
    fc.assert(
      fc.property(probability, probability, nodeCount, (a, b, n) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const slack = 1e-12;
        expect(anyReplicaAvailability(high, n)).toBeGreaterThanOrEqual(
          anyReplicaAvailability(low, n) - slack,
        );
        expect(majorityQuorumAvailability(high, n)).toBeGreaterThanOrEqual(
          majorityQuorumAvailability(low, n) - slack,
        );
        const others = Array<number>(n - 1).fill(0.7);
        expect(majorityAvailability([high, ...others])).toBeGreaterThanOrEqual(
          majorityAvailability([low, ...others]) - slack,
        );
      }),
      { seed },
    );
  });
});

describe('availability table', () => {
  test('one row per operation kind; gets and writes need a majority, stale gets any node', () => {
    const rows = availabilityTable(0.99, 3);
    expect(rows.map((r) => r.kind)).toEqual(['get', 'stale-get', 'update', 'create', 'delete']);
    const byKind = new Map(rows.map((r) => [r.kind, r]));
    for (const kind of ['get', 'update', 'create', 'delete'] as const) {
      expect(byKind.get(kind)?.probability).toBeCloseTo(0.999702, 12);
      expect(byKind.get(kind)?.formula).toContain('majority of 3 nodes');
    }
    expect(byKind.get('get')?.formula).toContain('ReadIndex');
    expect(byKind.get('stale-get')?.probability).toBeCloseTo(0.999999, 12);
    expect(byKind.get('stale-get')?.formula).toBe('any of 3 nodes: 1 - (1-p)^3');
  });

  test('through balancers multiplies by any-of-b balancers', () => {
    const rows = availabilityTable(0.99, 3, { balancers: 2, balancerP: 0.9 });
    const tier = primaryBackupAvailability(0.9, 0.9);
    expect(rows[0]?.probability).toBeCloseTo(0.999702 * tier, 12);
    expect(rows[1]?.probability).toBeCloseTo(0.999999 * tier, 12);
    expect(rows[1]?.formula).toBe('any of 3 nodes: 1 - (1-p)^3 x any of 2 balancers: 1 - (1-pb)^2');
  });
});

describe('bad arguments', () => {
  const cases: Array<[string, () => unknown]> = [
    ['p above 1', () => anyReplicaAvailability(1.01, 3)],
    ['p below 0', () => majorityQuorumAvailability(-0.1, 3)],
    ['p NaN', () => anyReplicaAvailability(Number.NaN, 3)],
    ['q above 1', () => primaryBackupAvailability(0.5, 2)],
    ['n zero', () => majorityQuorumAvailability(0.5, 0)],
    ['n fractional', () => anyReplicaAvailability(0.5, 2.5)],
    ['n infinite', () => anyReplicaAvailability(0.5, Number.POSITIVE_INFINITY)],
    ['k above the node count', () => atLeastAvailability([0.5, 0.5], 3)],
    ['k negative', () => atLeastAvailability([0.5], -1)],
    ['k fractional', () => atLeastAvailability([0.5, 0.5], 1.5)],
    ['a node probability out of range', () => atLeastAvailability([0.5, 7], 1)],
    ['no nodes for any', () => anyAvailability([])],
    ['no nodes for a majority', () => majorityAvailability([])],
    ['a bad balancer probability', () => availabilityTable(0.9, 3, { balancers: 2, balancerP: 2 })],
    ['no balancers', () => availabilityTable(0.9, 3, { balancers: 0, balancerP: 0.9 })],
  ];

  test.each(cases)('%s throws InvalidMessageError with its code', (_name, call) => {
    const error = thrownBy(call);
    expect(error).toBeInstanceOf(InvalidMessageError);
    expect((error as InvalidMessageError).code).toBe('TROUPE_ERR_INVALID_MESSAGE');
  });
});
