// The Raft core checked against the paper, section by section ("In Search of an Understandable
// Consensus Algorithm", extended version; dissertation where noted). Each test quotes the
// sentence it verifies, so a reader can audit the core against the paper (etcd's
// raft_paper_test.go does the same).
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import {
  app,
  appResp,
  bytes,
  confState,
  entry,
  heartbeat,
  ofType,
  storageWithLog,
  text,
  vote,
} from './helpers/builders.js';
import { ackApps, electLeader, logTerms, newNode, route } from './helpers/harness.js';
import { Network } from './helpers/network.js';
import { SeededRng } from './helpers/rng.js';
import { TestNode } from './helpers/test-node.js';

const three = ['1', '2', '3'];
const five = ['1', '2', '3', '4', '5'];

describe('§5.1 Raft basics', () => {
  it('"When servers start up, they begin as followers."', () => {
    const n = newNode('1', { voters: three });
    expect(n.node.status().role).toBe('follower');
  });

  for (const role of ['follower', 'candidate', 'leader'] as const) {
    it(`${role}: "if one server's current term is smaller than the other's, then it updates its current term to the larger value"`, () => {
      const n = newNode('1', { voters: three, hardState: { term: 1 } });
      if (role === 'candidate') n.node.campaign();
      if (role === 'leader') electLeader(n);
      n.drain();
      const term = n.node.status().term;
      n.step(app({ from: '2', to: '1', term: term + 1 }));
      const status = n.node.status();
      expect(status.term).toBe(term + 1);
      // "If a candidate or leader discovers that its term is out of date, it immediately
      // reverts to follower state."
      expect(status.role).toBe('follower');
      expect(status.leaderId).toBe('2');
    });
  }

  it('"If a server receives a request with a stale term number, it rejects the request."', () => {
    const n = newNode('1', { voters: three, terms: [1], hardState: { term: 3 } });
    n.step(
      app({ from: '2', to: '1', term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 2)] }),
    );
    n.step(vote({ from: '3', to: '1', term: 2, lastLogIndex: 9, lastLogTerm: 2 }));
    const msgs = n.drain();
    expect(logTerms(n)).toEqual([1]);
    expect(n.node.status().term).toBe(3);
    expect(ofType(msgs, 'voteResp').filter((m) => !m.reject)).toEqual([]);
    expect(ofType(msgs, 'appResp').filter((m) => m.index > 0)).toEqual([]);
  });
});

describe('§5.2 Leader election', () => {
  it('"If a follower receives no communication over a period of time called the election timeout, then it assumes there is no viable leader and begins an election"', () => {
    const n = newNode('1', { voters: three });
    for (let i = 0; i < 9; i++) n.node.tick();
    expect(n.node.status().role).toBe('follower');
    n.node.tick();
    expect(n.node.status().role).toBe('candidate');
  });

  it('"To begin an election, a follower increments its current term and transitions to candidate state. It then votes for itself and issues RequestVote RPCs in parallel to each of the other servers in the cluster."', () => {
    const n = newNode('1', { voters: three, terms: [1, 1], hardState: { term: 1 } });
    for (let i = 0; i < 10; i++) n.node.tick();
    const msgs = n.drain();
    const status = n.node.status();
    expect(status).toMatchObject({ role: 'candidate', term: 2, vote: '1' });
    expect(n.storage.hardState()).toMatchObject({ term: 2, vote: '1' });
    expect(ofType(msgs, 'vote').map((m) => [m.to, m.term, m.lastLogIndex, m.lastLogTerm])).toEqual([
      ['2', 2, 2, 1],
      ['3', 2, 2, 1],
    ]);
  });

  it('"A candidate wins an election if it receives votes from a majority of the servers in the full cluster for the same term."', () => {
    const cases: Array<[string[], Record<string, boolean>, string]> = [
      [three, { '2': true }, 'leader'],
      [three, { '2': false }, 'candidate'],
      [three, { '2': false, '3': false }, 'follower'],
      [five, { '2': true }, 'candidate'],
      [five, { '2': true, '3': true }, 'leader'],
      [five, { '2': false, '3': false, '4': false }, 'follower'],
      [five, { '2': true, '3': false, '4': false }, 'candidate'],
    ];
    for (const [voters, votes, role] of cases) {
      const n = newNode('1', { voters });
      n.node.campaign();
      n.drain();
      for (const [from, granted] of Object.entries(votes)) {
        n.step({ type: 'voteResp', from, to: '1', term: 1, reject: !granted });
      }
      expect(n.node.status().role, JSON.stringify([voters, votes])).toBe(role);
    }
  });

  it('"Each server will vote for at most one candidate in a given term, on a first-come-first-served basis"', () => {
    const n = newNode('1', { voters: three });
    n.step(vote({ from: '2', to: '1', term: 1 }));
    n.step(vote({ from: '3', to: '1', term: 1 }));
    // A repeated request from the candidate we voted for is granted again.
    n.step(vote({ from: '2', to: '1', term: 1 }));
    const answers = ofType(n.drain(), 'voteResp').map((m) => [m.to, m.reject]);
    expect(answers).toEqual([
      ['2', false],
      ['3', true],
      ['2', false],
    ]);
    expect(n.storage.hardState().vote).toBe('2');
  });

  it('"Once a candidate wins an election, it becomes leader. It then sends heartbeat messages to all of the other servers to establish its authority"', () => {
    const n = newNode('1', { voters: five });
    const msgs = electLeader(n);
    expect(n.node.status().role).toBe('leader');
    expect(ofType(msgs, 'app').map((m) => m.to)).toEqual(['2', '3', '4', '5']);
  });

  it('"If the leader\'s term (included in its RPC) is at least as large as the candidate\'s current term, then the candidate recognizes the leader as legitimate and returns to follower state."', () => {
    const n = newNode('1', { voters: three });
    n.node.campaign();
    n.drain();
    n.step(heartbeat({ from: '2', to: '1', term: 1 }));
    expect(n.node.status()).toMatchObject({ role: 'follower', term: 1, leaderId: '2' });
  });

  it('"If the term in the RPC is smaller than the candidate\'s current term, then the candidate rejects the RPC and continues in candidate state."', () => {
    const n = newNode('1', { voters: three, hardState: { term: 1 } });
    n.node.campaign();
    n.drain();
    n.step(heartbeat({ from: '2', to: '1', term: 1 }));
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 2 });
  });

  it('"A server remains in follower state as long as it receives valid RPCs from a leader or candidate."', () => {
    const n = newNode('1', { voters: three });
    for (let i = 0; i < 100; i++) {
      n.node.tick();
      n.step(heartbeat({ from: '2', to: '1', term: 1 }));
    }
    expect(n.node.status().role).toBe('follower');
  });

  it('"Raft uses randomized election timeouts to ensure that split votes are rare": timeouts fall in [T, 2T)', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 40; seed++) {
      const n = newNode('1', { voters: three, options: { rng: new SeededRng(seed) } });
      let ticks = 0;
      while (n.node.status().role === 'follower' && ticks < 100) {
        n.node.tick();
        ticks++;
      }
      expect(ticks).toBeGreaterThanOrEqual(10);
      expect(ticks).toBeLessThan(20);
      seen.add(ticks);
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it('split vote: "each candidate will time out and start a new election by incrementing its term"', () => {
    const n = newNode('1', { voters: three });
    n.node.campaign();
    n.drain();
    expect(n.node.status().term).toBe(1);
    for (let i = 0; i < 10; i++) n.node.tick();
    expect(n.node.status()).toMatchObject({ role: 'candidate', term: 2 });
  });
});

describe('§5.3 Log replication', () => {
  it('"The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel to each of the other servers to replicate the entry."', () => {
    const n = newNode('1', { voters: three });
    ackApps(n, electLeader(n));
    n.drain();
    n.node.propose(bytes('x'));
    const apps = ofType(n.drain(), 'app');
    expect(n.node.status().lastIndex).toBe(2);
    expect(apps.map((m) => [m.to, m.prevLogIndex, m.entries.map((e) => e.index)])).toEqual([
      ['2', 1, [2]],
      ['3', 1, [2]],
    ]);
  });

  it('"A log entry is committed once the leader that created the entry has replicated it on a majority of the servers"', () => {
    for (const [voters, acks, committed] of [
      [three, ['2'], 2],
      [five, ['2'], 1],
      [five, ['2', '3'], 2],
    ] as const) {
      const n = newNode('1', { voters: [...voters] });
      const first = electLeader(n);
      for (const id of voters.slice(1)) ackApps(n, first, id);
      n.drain();
      n.node.propose(bytes('x'));
      const apps = n.drain();
      for (const id of acks) ackApps(n, apps, id);
      expect(n.node.status().commit, `${voters.length} voters, acks ${acks}`).toBe(committed);
    }
  });

  it('"it includes that index in future AppendEntries RPCs (including heartbeats) so that the other servers eventually find out"', () => {
    const n = newNode('1', { voters: three });
    ackApps(n, electLeader(n));
    const afterCommit = ofType(n.drain(), 'app');
    expect(afterCommit.map((m) => m.commit)).toEqual([1, 1]);
    n.node.tick();
    expect(ofType(n.drain(), 'heartbeat').map((m) => m.commit)).toEqual([1, 1]);
  });

  it('"Once a follower learns that a log entry is committed, it applies the entry to its local state machine (in log order)."', () => {
    const n = newNode('1', { voters: three });
    const entries = [entry(1, 1, 'a'), entry(1, 2, 'b'), entry(1, 3, 'c')];
    n.step(app({ from: '2', to: '1', term: 1, entries, commit: 2 }));
    n.drain();
    expect(n.applied).toEqual(['a', 'b']);
    n.step(heartbeat({ from: '2', to: '1', term: 1, commit: 3 }));
    n.drain();
    expect(n.applied).toEqual(['a', 'b', 'c']);
  });

  it('"If the follower does not find an entry in its log with the same index and term, then it refuses the new entries."', () => {
    const cases: Array<[number, number, boolean]> = [
      [0, 0, true],
      [2, 2, true],
      [3, 3, true],
      [3, 2, false],
      [4, 3, false],
    ];
    for (const [prevLogIndex, prevLogTerm, accepted] of cases) {
      const n = newNode('1', { voters: three, terms: [1, 2, 3], hardState: { term: 3 } });
      const entries = [entry(3, prevLogIndex + 1)];
      n.step(app({ from: '2', to: '1', term: 3, prevLogIndex, prevLogTerm, entries }));
      const [resp] = ofType(n.drain(), 'appResp');
      expect(resp?.reject, `prev ${prevLogIndex}/${prevLogTerm}`).toBe(!accepted);
    }
  });

  it('Figure 2: "If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it"', () => {
    const n = newNode('1', { voters: three, terms: [1, 1, 2, 2], hardState: { term: 3 } });
    n.step(
      app({ from: '2', to: '1', term: 3, prevLogIndex: 2, prevLogTerm: 1, entries: [entry(3, 3)] }),
    );
    n.drain();
    expect(logTerms(n)).toEqual([1, 1, 3]);
  });

  it('Figure 2: "Append any new entries not already in the log" (a stale App truncates nothing)', () => {
    const n = newNode('1', { voters: three, terms: [1, 1, 1], hardState: { term: 1 } });
    n.step(
      app({ from: '2', to: '1', term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [entry(1, 1)] }),
    );
    const [resp] = ofType(n.drain(), 'appResp');
    expect(logTerms(n)).toEqual([1, 1, 1]);
    // The answer vouches only for what this App covered.
    expect(resp).toMatchObject({ reject: false, index: 1 });
  });

  it('Figure 2: "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)"', () => {
    const n = newNode('1', { voters: three, terms: [1, 1, 1, 1], hardState: { term: 1 } });
    n.step(
      app({
        from: '2',
        to: '1',
        term: 1,
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: [entry(1, 2)],
        commit: 4,
      }),
    );
    expect(n.node.status().commit).toBe(2);
  });

  it('"When a leader first comes to power, it initializes all nextIndex values to the index just after the last one in its log"', () => {
    const n = newNode('1', { voters: three, terms: [1, 1, 2], hardState: { term: 2 } });
    const apps = ofType(electLeader(n), 'app');
    expect(apps.map((m) => m.prevLogIndex)).toEqual([3, 3]);
    expect(n.node.status().progress?.['2']?.next).toBe(4);
  });

  it('"In Raft, the leader handles inconsistencies by forcing the followers\' logs to duplicate its own." (Figure 7)', () => {
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers: Record<string, number[]> = {
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 1, 4],
      c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 1, 4, 4, 4, 4],
      f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    for (const [name, log] of Object.entries(followers)) {
      const voters = ['L', 'F', 'X'];
      const leader = newNode('L', { voters, terms: leaderLog, hardState: { term: 7 } });
      const follower = newNode('F', { voters, terms: log, hardState: { term: 7 } });
      // X grants L its vote so that L wins even if F, more up to date, refuses.
      leader.node.campaign();
      leader.drain();
      leader.step({ type: 'voteResp', from: 'X', to: 'L', term: 8, reject: false });
      expect(leader.node.status().role).toBe('leader');
      route([leader, follower]);
      expect(logTerms(follower), `follower ${name}`).toEqual([...leaderLog, 8]);
    }
  });
});

describe('§5.4.1 Election restriction', () => {
  it('"the voter denies its vote if its own log is more up-to-date than that of the candidate" — "If the logs have last entries with different terms, then the log with the later term is more up-to-date. If the logs end with the same term, then whichever log is longer is more up-to-date."', () => {
    // The voter's log is [1, 2]: last index 2, last term 2.
    const cases: Array<[number, number, boolean]> = [
      [2, 2, true], // same term, same length
      [3, 2, true], // same term, longer
      [1, 2, false], // same term, shorter
      [1, 3, true], // later term, shorter
      [9, 1, false], // earlier term, longer
    ];
    for (const [lastLogIndex, lastLogTerm, granted] of cases) {
      const n = newNode('1', { voters: three, terms: [1, 2], hardState: { term: 3 } });
      n.step(vote({ from: '2', to: '1', term: 3, lastLogIndex, lastLogTerm }));
      const [resp] = ofType(n.drain(), 'voteResp');
      expect(resp?.reject, `candidate last ${lastLogIndex}/${lastLogTerm}`).toBe(!granted);
    }
  });

  it('the voteWithoutLogCheck testing fault grants the vote anyway', () => {
    const n = newNode('1', {
      voters: three,
      terms: [1, 2],
      hardState: { term: 3 },
      options: { testingFaults: { voteWithoutLogCheck: true } },
    });
    n.step(vote({ from: '2', to: '1', term: 3, lastLogIndex: 9, lastLogTerm: 1 }));
    expect(ofType(n.drain(), 'voteResp')[0]?.reject).toBe(false);
  });
});

describe('§5.4.2 Committing entries from previous terms', () => {
  it('"Raft never commits log entries from previous terms by counting replicas. Only log entries from the leader\'s current term are committed by counting replicas"', () => {
    const n = newNode('1', { voters: three, terms: [1, 2], hardState: { term: 2, commit: 1 } });
    electLeader(n);
    n.drain();
    // A majority (us and 2) now stores index 2, of term 2; the leader's term is 3.
    n.step(appResp({ from: '2', to: '1', term: 3, index: 2 }));
    expect(n.node.status().commit).toBe(1);
    // "once an entry from the current term has been committed in this way, then all prior
    // entries are committed indirectly because of the Log Matching Property."
    n.step(appResp({ from: '2', to: '1', term: 3, index: 3 }));
    expect(n.node.status().commit).toBe(3);
  });

  it('with the commitPreviousTermByCount testing fault, the same ack commits index 2', () => {
    const n = newNode('1', {
      voters: three,
      terms: [1, 2],
      hardState: { term: 2, commit: 1 },
      options: { testingFaults: { commitPreviousTermByCount: true } },
    });
    electLeader(n);
    n.drain();
    n.step(appResp({ from: '2', to: '1', term: 3, index: 2 }));
    expect(n.node.status().commit).toBe(2);
  });
});

describe('§5.4.2 Figure 8, played out on five servers', () => {
  /**
   * (a) S1 led term 2 and stored index 2 on S2 only; (b) S5 led term 3 and wrote a different
   * index 2; (c) S1 leads term 4 and copies its index 2 to S3 and S4 but not its term-4 entry;
   * (d) S1 crashes and S5 is elected, overwriting index 2 everywhere.
   */
  function figure8(commitPreviousTermByCount: boolean): {
    appliedAt2: Set<string>;
    s1CommitAfterC: number;
  } {
    const options = { appendBytesMax: 1, testingFaults: { commitPreviousTermByCount } };
    const cs = confState(five);
    const log = (entries: Entry[], term: number) => {
      const storage = storageWithLog(cs, [], { term, commit: 1 });
      storage.append(entries);
      return storage;
    };
    const e1 = entry(1, 1, 'one');
    const net = new Network();
    const s1 = net.add(new TestNode('1', log([e1, entry(2, 2, 'from S1')], 3), options));
    net.add(new TestNode('2', log([e1, entry(2, 2, 'from S1')], 3), options));
    net.add(new TestNode('3', log([e1], 3), options));
    net.add(new TestNode('4', log([e1], 3), options));
    net.add(new TestNode('5', log([e1, entry(3, 2, 'from S5')], 3), options));
    // (c): S2 and S5 are away; S1's term-4 entry (index 3) reaches no one who could store it.
    net.isolate('2');
    net.isolate('5');
    net.drop((m) => {
      const carries3 = m.type === 'app' && m.entries.some((e) => e.index === 3);
      return carries3 && net.node(m.to).node.status().lastIndex >= 2;
    });
    net.campaign('1');
    expect(net.leaders()).toEqual(['1']);
    const s1CommitAfterC = s1.node.status().commit;
    // (d): S1 crashes; everyone else hears S5.
    net.heal();
    net.isolate('1');
    net.campaign('5');
    if (net.leaders().includes('5') === false) net.campaign('5');
    expect(net.leaders()).toContain('5');
    const appliedAt2 = new Set<string>();
    for (const id of net.ids()) {
      for (const e of net.node(id).appliedEntries) {
        if (e.index === 2 && e.type === 'normal') appliedAt2.add(text(e.data));
      }
    }
    return { appliedAt2, s1CommitAfterC };
  }

  it("with the rule, S1 does not commit index 2 and only S5's entry is ever applied there", () => {
    const { appliedAt2, s1CommitAfterC } = figure8(false);
    expect(s1CommitAfterC).toBe(1);
    expect([...appliedAt2]).toEqual(['from S5']);
  });

  it('with commitPreviousTermByCount, index 2 is applied with two different entries', () => {
    const { appliedAt2, s1CommitAfterC } = figure8(true);
    expect(s1CommitAfterC).toBe(2);
    expect([...appliedAt2].sort()).toEqual(['from S1', 'from S5']);
  });
});

describe('§6 Cluster membership changes (one server at a time, dissertation §4)', () => {
  it('"the new servers join the cluster as non-voting members (the leader replicates log entries to them, but they are not considered for majorities)"', () => {
    const net = Network.bootstrap(['1', '2']);
    net.campaign('1');
    net.addEmpty('3');
    net.node('1').node.proposeConfChange({ type: 'addLearner', nodeId: '3' });
    net.stabilize();
    net.propose('1', 'seen by the learner');
    expect(net.node('3').applied).toEqual(['seen by the learner']);
    // With voter 2 gone, the learner's acknowledgement cannot make a majority.
    net.isolate('2');
    net.propose('1', 'needs voter 2');
    const leader = net.node('1').node.status();
    expect(leader.lastIndex).toBeGreaterThan(leader.commit);
    expect(leader.progress?.['3']?.match).toBe(leader.lastIndex);
  });

  it('"The second issue is that the cluster leader may not be part of the new configuration. In this case, the leader steps down (returns to follower state) once it has committed the Cnew log entry."', () => {
    const net = Network.bootstrap(['1', '2', '3']);
    net.campaign('1');
    net.node('1').node.proposeConfChange({ type: 'removeNode', nodeId: '1' });
    net.stabilize();
    expect(net.node('1').node.status()).toMatchObject({ role: 'follower' });
    expect(net.node('2').node.status().confState.voters).toEqual(['2', '3']);
    // The removed node never campaigns; the others elect a leader among themselves.
    net.tick(30);
    expect(net.leaders().length).toBe(1);
    expect(net.leaders()).not.toContain('1');
  });

  it('one change at a time: a second conf change waits until the first is applied', () => {
    const n = newNode('1', { voters: three });
    ackApps(n, electLeader(n));
    n.drain();
    n.node.proposeConfChange({ type: 'addLearner', nodeId: '4' });
    expect(() => n.node.proposeConfChange({ type: 'addLearner', nodeId: '5' })).toThrow(
      expect.objectContaining({ code: 'TROUPE_ERR_PROPOSAL_DROPPED', reason: 'confChangePending' }),
    );
  });
});

describe('§7 Log compaction', () => {
  it('"the leader must occasionally send snapshots to followers that lag behind" and the follower "discards its entire log; it is all superseded by the snapshot"', () => {
    const net = Network.bootstrap(['1', '2', '3'], { snapshotChunkBytes: 16 });
    net.campaign('1');
    net.isolate('3');
    for (let i = 0; i < 10; i++) net.propose('1', `cmd${i}`);
    for (const id of ['1', '2']) net.node(id).snapshotAndCompact();
    net.heal();
    net.tick(2);
    const follower = net.node('3');
    expect(follower.snapshotsLoaded.length).toBe(1);
    expect(follower.applied).toEqual(net.node('1').applied);
    expect(net.delivered.filter((m) => m.type === 'snap').length).toBeGreaterThan(1);
  });

  it('Figure 13: "If existing log entry has same index and term as snapshot\'s last included entry, retain log entries following it and reply"', () => {
    const n = newNode('1', {
      voters: three,
      terms: [1, 1, 1, 1],
      hardState: { term: 1, commit: 1 },
    });
    const metadata = { index: 2, term: 1, confState: confState(three) };
    n.step({
      type: 'snap',
      from: '2',
      to: '1',
      term: 1,
      metadata,
      offsetBytes: 0,
      totalBytes: 0,
      data: new Uint8Array(),
      done: true,
    });
    const [resp] = ofType(n.drain(), 'appResp');
    expect(logTerms(n)).toEqual([1, 1, 1, 1]);
    expect(n.node.status().commit).toBe(2);
    expect(resp).toMatchObject({ reject: false, index: 2 });
  });
});

describe('§8 Client interaction', () => {
  it('"Raft handles this by having each leader commit a blank no-op entry into the log at the start of its term."', () => {
    const n = newNode('1', { voters: three, terms: [1, 1], hardState: { term: 1 } });
    const apps = ofType(electLeader(n), 'app');
    expect(apps[0]?.entries).toEqual([
      { type: 'normal', term: 2, index: 3, data: new Uint8Array() },
    ]);
  });

  it('"Raft handles this by having the leader exchange heartbeat messages with a majority of the cluster before responding to read-only requests."', () => {
    const n = newNode('1', { voters: three });
    ackApps(n, electLeader(n));
    n.drain();
    n.node.readIndex(bytes('r1'));
    const beats = ofType(n.drain(), 'heartbeat');
    expect(beats.map((m) => text(m.ctx ?? new Uint8Array()))).toEqual(['r1', 'r1']);
    expect(n.readStates).toEqual([]);
    n.step({ type: 'heartbeatResp', from: '2', to: '1', term: 1, ctx: bytes('r1'), leaseTick: 0 });
    n.drain();
    expect(n.readStates).toEqual([{ index: 1, ctx: bytes('r1') }]);
  });
});
