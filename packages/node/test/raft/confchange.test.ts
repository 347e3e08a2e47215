// Table-driven tests of the pure membership function (confchange.ts), as etcd tests its
// confchange package.
import { describe, expect, it } from 'vitest';
import { changeConfState } from '../../src/raft/confchange.js';
import type { ConfChange, ConfState } from '../../src/raft/types.js';
import { confState } from './helpers/builders.js';

interface Case {
  readonly name: string;
  readonly from: ConfState;
  readonly change: ConfChange;
  readonly to: ConfState | string;
}

const abc = confState(['a', 'b', 'c']);

const cases: Case[] = [
  {
    name: 'add voter',
    from: abc,
    change: { type: 'addVoter', nodeId: 'd' },
    to: confState(['a', 'b', 'c', 'd']),
  },
  {
    name: 'add existing voter: no-op',
    from: abc,
    change: { type: 'addVoter', nodeId: 'a' },
    to: abc,
  },
  {
    name: 'add learner',
    from: abc,
    change: { type: 'addLearner', nodeId: 'd' },
    to: confState(['a', 'b', 'c'], ['d']),
  },
  {
    name: 'promote learner',
    from: confState(['a', 'b'], ['c']),
    change: { type: 'addVoter', nodeId: 'c' },
    to: abc,
  },
  {
    name: 'demote voter',
    from: abc,
    change: { type: 'addLearner', nodeId: 'c' },
    to: confState(['a', 'b'], ['c']),
  },
  {
    name: 'remove voter',
    from: abc,
    change: { type: 'removeNode', nodeId: 'b' },
    to: confState(['a', 'c']),
  },
  {
    name: 'remove learner',
    from: confState(['a'], ['b']),
    change: { type: 'removeNode', nodeId: 'b' },
    to: confState(['a']),
  },
  { name: 'remove absent: no-op', from: abc, change: { type: 'removeNode', nodeId: 'z' }, to: abc },
  {
    name: 'remove last voter',
    from: confState(['a'], ['b']),
    change: { type: 'removeNode', nodeId: 'a' },
    to: 'leave no voter',
  },
  {
    name: 'demote last voter',
    from: confState(['a']),
    change: { type: 'addLearner', nodeId: 'a' },
    to: 'leave no voter',
  },
  { name: 'empty id', from: abc, change: { type: 'addVoter', nodeId: '' }, to: 'invalid node id' },
  {
    name: 'id with space',
    from: abc,
    change: { type: 'addVoter', nodeId: 'a b' },
    to: 'invalid node id',
  },
  {
    name: 'id too long',
    from: abc,
    change: { type: 'addVoter', nodeId: 'x'.repeat(65) },
    to: 'invalid node id',
  },
  {
    name: 'context too large',
    from: abc,
    change: { type: 'addVoter', nodeId: 'd', context: new Uint8Array(1025) },
    to: 'context',
  },
  {
    name: 'too many members',
    from: confState(Array.from({ length: 15 }, (_, i) => `n${String(i).padStart(2, '0')}`)),
    change: { type: 'addLearner', nodeId: 'extra' },
    to: 'more than 15 members',
  },
];

describe('changeConfState', () => {
  for (const c of cases) {
    it(c.name, () => {
      const outcome = changeConfState(c.from, c.change);
      if (typeof c.to === 'string') {
        expect(outcome.ok).toBe(false);
        expect(outcome.ok ? '' : outcome.reason).toContain(c.to);
      } else {
        expect(outcome).toEqual({ ok: true, confState: c.to });
      }
    });
  }

  it('keeps both lists sorted and disjoint', () => {
    const outcome = changeConfState(confState(['m', 'c'], ['x']), {
      type: 'addVoter',
      nodeId: 'a',
    });
    expect(outcome).toEqual({ ok: true, confState: { voters: ['a', 'c', 'm'], learners: ['x'] } });
  });
});
