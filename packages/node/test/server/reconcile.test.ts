// The leader's reconciliation decisions, one table row per situation: a group moves towards
// its placement one safe step at a time (learner, promote, remove, hand over leadership).
import { describe, expect, test } from 'vitest';
import type { ProgressStatus, RaftStatus } from '../../src/raft/index.js';
import { type ReconcileAction, reconcileGroup } from '../../src/server/reconcile.js';

function progress(match: number, isLearner = false): ProgressStatus {
  return {
    match,
    next: match + 1,
    state: 'replicate',
    recentActive: true,
    isLearner,
    paused: false,
    inflightMessages: 0,
    inflightBytes: 0,
    pendingSnapshotIndex: 0,
  };
}

function leaderStatus(
  voters: string[],
  learners: string[],
  matches: Record<string, number>,
  commit = 10,
): RaftStatus {
  const members = [...voters, ...learners];
  const entries = members.map((id) => [id, progress(matches[id] ?? commit, learners.includes(id))]);
  return {
    id: 'n1',
    term: 2,
    vote: 'n1',
    role: 'leader',
    leaderId: 'n1',
    commit,
    applied: commit,
    firstIndex: 1,
    lastIndex: commit,
    leadTransferee: null,
    uncommittedBytes: 0,
    confState: { voters, learners },
    progress: Object.fromEntries(entries),
  };
}

function decide(status: RaftStatus, desired: string[], connected = desired): ReconcileAction {
  return reconcileGroup({
    self: 'n1',
    desired,
    status,
    isConnected: (id) => connected.includes(id),
  });
}

describe('reconcileGroup', () => {
  test('a follower decides nothing', () => {
    const status = {
      ...leaderStatus(['n1', 'n2', 'n3'], [], {}),
      role: 'follower' as const,
      progress: null,
    };
    expect(decide(status, ['n4', 'n2', 'n3'])).toEqual({ type: 'none' });
  });

  test('in placement and led by the preferred leader: nothing to do', () => {
    expect(decide(leaderStatus(['n1', 'n2', 'n3'], [], {}), ['n1', 'n2', 'n3'])).toEqual({
      type: 'none',
    });
  });

  test('a newly placed replica joins as a learner first', () => {
    const action = decide(leaderStatus(['n1', 'n2', 'n3'], [], {}), ['n1', 'n2', 'n4']);
    expect(action).toEqual({ type: 'addLearner', nodeId: 'n4' });
  });

  test('a learner behind the commit index is not promoted yet', () => {
    const action = decide(leaderStatus(['n1', 'n2', 'n3'], ['n4'], { n4: 3 }), ['n1', 'n2', 'n4']);
    expect(action).toEqual({ type: 'none' });
  });

  test('a caught-up learner is promoted to voter', () => {
    const action = decide(leaderStatus(['n1', 'n2', 'n3'], ['n4'], {}), ['n1', 'n2', 'n4']);
    expect(action).toEqual({ type: 'promote', nodeId: 'n4' });
  });

  test('the unplaced replica is removed only once every placed one votes', () => {
    const action = decide(leaderStatus(['n1', 'n2', 'n3', 'n4'], [], {}), ['n1', 'n2', 'n4']);
    expect(action).toEqual({ type: 'remove', nodeId: 'n3' });
  });

  test('a leader that is no longer placed hands leadership to a caught-up placed voter', () => {
    const action = decide(leaderStatus(['n1', 'n2', 'n3', 'n4'], [], { n2: 4 }), [
      'n2',
      'n3',
      'n4',
    ]);
    expect(action).toEqual({ type: 'transferLeader', to: 'n3' });
  });

  test('leadership goes back to the preferred leader once it is connected and caught up', () => {
    const status = leaderStatus(['n1', 'n2', 'n3'], [], {});
    expect(decide(status, ['n2', 'n1', 'n3'])).toEqual({ type: 'transferLeader', to: 'n2' });
    expect(decide(status, ['n2', 'n1', 'n3'], ['n1', 'n3'])).toEqual({ type: 'none' });
    const behind = leaderStatus(['n1', 'n2', 'n3'], [], { n2: 9 });
    expect(decide(behind, ['n2', 'n1', 'n3'])).toEqual({ type: 'none' });
  });
});
