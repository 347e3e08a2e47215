// Replication flow control, driven message by message: batching by appendBytesMax, pipelining
// within the inflight window (count and bytes), fast backtracking with conflict hints, and the
// bounds that turn overload into typed errors; and how followers learn of commits (eager or
// lazy commit broadcast).
import { describe, expect, it } from 'vitest';
import { entryOverheadBytes } from '../../src/raft/limits.js';
import { recordMarks } from '../../src/raft/marks.js';
import type { AppMsg } from '../../src/raft/messages.js';
import { appResp, bytes, heartbeatResp, ofType } from './helpers/builders.js';
import { ackApps, electLeader, logTerms, newNode, route } from './helpers/harness.js';
import type { TestNodeOptions } from './helpers/test-node.js';

const three = ['1', '2', '3'];

/** A leader whose followers both acknowledged its empty entry and are in replicate state. */
function replicatingLeader(options: TestNodeOptions = {}) {
  const n = newNode('1', { voters: three, options });
  ackApps(n, electLeader(n));
  n.drain();
  expect(n.node.status().progress?.['2']?.state).toBe('replicate');
  return n;
}

function appsTo(msgs: ReturnType<typeof ofType<'app'>>, to: string): AppMsg[] {
  return msgs.filter((m) => m.to === to);
}

describe('pipelining', () => {
  it('sends one App per proposal without waiting for acknowledgements, up to the window', () => {
    const n = replicatingLeader({ inflightMessagesMax: 3 });
    for (let i = 0; i < 5; i++) n.node.propose(bytes(`p${i}`));
    const apps = appsTo(ofType(n.drain(), 'app'), '2');
    expect(apps.map((m) => m.entries.map((e) => e.index))).toEqual([[2], [3], [4]]);
    const pr = n.node.status().progress?.['2'];
    expect(pr).toMatchObject({ inflightMessages: 3, paused: true, next: 5 });
    // One acknowledgement frees room for the rest, sent as one batch.
    n.step(appResp({ from: '2', to: '1', term: 1, index: 3 }));
    const more = appsTo(ofType(n.drain(), 'app'), '2');
    expect(more.map((m) => m.entries.map((e) => e.index))).toEqual([[5, 6]]);
  });

  it('bounds the bytes in flight as well as the count', () => {
    const entryBytes = 100 + entryOverheadBytes;
    const n = replicatingLeader({ inflightBytesMax: 2 * entryBytes, appendBytesMax: entryBytes });
    for (let i = 0; i < 4; i++) n.node.propose(new Uint8Array(100));
    const apps = appsTo(ofType(n.drain(), 'app'), '2');
    expect(apps.length).toBe(2);
    expect(n.node.status().progress?.['2']).toMatchObject({
      inflightBytes: 2 * entryBytes,
      paused: true,
    });
  });

  it('with a full window, a heartbeat answer sends an empty App so lost Apps cannot wedge it', () => {
    const n = replicatingLeader({ inflightMessagesMax: 1 });
    n.node.propose(bytes('a'));
    n.node.propose(bytes('b'));
    n.drain();
    n.step(heartbeatResp({ from: '2', to: '1', term: 1 }));
    const apps = appsTo(ofType(n.drain(), 'app'), '2');
    expect(apps.map((m) => [m.prevLogIndex, m.entries.length])).toEqual([[2, 0]]);
  });

  it('a follower in probe state gets one App at a time', () => {
    const n = newNode('1', { voters: three });
    electLeader(n);
    n.node.propose(bytes('a'));
    n.node.propose(bytes('b'));
    expect(appsTo(ofType(n.drain(), 'app'), '2')).toEqual([]);
    expect(n.node.status().progress?.['2']).toMatchObject({ state: 'probe', paused: true });
  });

  it('reportUnreachable drops a follower back to probing', () => {
    const n = replicatingLeader();
    n.node.reportUnreachable('2');
    expect(n.node.status().progress?.['2']?.state).toBe('probe');
  });
});

describe('commit broadcast', () => {
  /** The leader proposes one entry and both followers acknowledge it: it commits. */
  function commitOne(n: ReturnType<typeof replicatingLeader>): AppMsg[] {
    n.node.propose(bytes('x'));
    n.drain();
    n.step(appResp({ from: '2', to: '1', term: 1, index: 2 }));
    n.step(appResp({ from: '3', to: '1', term: 1, index: 2 }));
    expect(n.node.status().commit).toBe(2);
    return ofType(n.drain(), 'app');
  }

  it('eager (the default): every follower gets an App carrying the new commit index', () => {
    const apps = commitOne(replicatingLeader());
    expect(apps.map((m) => [m.to, m.entries.length, m.commit]).sort()).toEqual([
      ['2', 0, 2],
      ['3', 0, 2],
    ]);
  });

  it('lazy: no empty App; the next heartbeat carries the commit index', () => {
    const n = replicatingLeader({ commitBroadcast: 'lazy' });
    expect(commitOne(n)).toEqual([]);
    n.node.tick();
    const beats = ofType(n.drain(), 'heartbeat');
    expect(beats.map((m) => [m.to, m.commit]).sort()).toEqual([
      ['2', 2],
      ['3', 2],
    ]);
  });

  it('lazy: Apps with entries held back by the window go at once, carrying the commit', () => {
    const n = replicatingLeader({ commitBroadcast: 'lazy', inflightMessagesMax: 1 });
    n.node.propose(bytes('x'));
    n.node.propose(bytes('y'));
    n.drain();
    n.step(appResp({ from: '2', to: '1', term: 1, index: 2 }));
    n.step(appResp({ from: '3', to: '1', term: 1, index: 2 }));
    const apps = ofType(n.drain(), 'app');
    expect(apps.map((m) => [m.to, m.entries.map((e) => e.index), m.commit]).sort()).toEqual([
      ['2', [3], 2],
      ['3', [3], 2],
    ]);
  });
});

describe('batching', () => {
  it('cuts a catch-up batch at appendBytesMax, always sending at least one entry', () => {
    const perEntry = 10 + entryOverheadBytes;
    const n = newNode('1', { voters: three, options: { appendBytesMax: 3 * perEntry } });
    const first = electLeader(n);
    ackApps(n, first, '3');
    n.drain();
    for (let i = 0; i < 7; i++) n.node.propose(new Uint8Array(10));
    n.drain();
    // Node 2 answers the election probe now: it holds nothing past index 0.
    n.step(appResp({ from: '2', to: '1', term: 1, index: 0 }));
    const apps = appsTo(ofType(n.drain(), 'app'), '2');
    expect(apps.map((m) => m.entries.length)).toEqual([3, 3, 2]);
    const big = newNode('1', { voters: three, options: { appendBytesMax: 1 } });
    ackApps(big, electLeader(big));
    big.drain();
    big.node.propose(new Uint8Array(500));
    expect(appsTo(ofType(big.drain(), 'app'), '2').map((m) => m.entries.length)).toEqual([1]);
  });
});

describe('fast backtracking', () => {
  it('skips a divergent term in one round trip using the conflict hint (Figure 7 f)', () => {
    const voters = ['L', 'F', 'X'];
    const leader = newNode('L', {
      voters,
      terms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
      hardState: { term: 7 },
    });
    const follower = newNode('F', {
      voters,
      terms: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
      hardState: { term: 7 },
    });
    leader.node.campaign();
    leader.drain();
    leader.step({ type: 'voteResp', from: 'X', to: 'L', term: 8, reject: false });
    const marks = recordMarks(() => route([leader, follower]));
    const rejections = marks.filter((m) => m === 'follower: app rejected, log mismatch');
    // The follower hints (10, term 3); the leader's last entry of term <= 3 is index 3, where
    // the logs match: one rejection instead of one per divergent entry (seven).
    expect(rejections.length).toBe(1);
    expect(logTerms(follower)).toEqual([1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 8]);
  });

  it("a follower hints the largest index whose term is at most the probe's", () => {
    const n = newNode('2', { voters: three, terms: [1, 1, 3, 3, 3], hardState: { term: 5 } });
    n.step({
      type: 'app',
      from: '1',
      to: '2',
      term: 5,
      prevLogIndex: 7,
      prevLogTerm: 4,
      entries: [],
      commit: 0,
    });
    const [resp] = ofType(n.drain(), 'appResp');
    expect(resp).toMatchObject({ reject: true, index: 7, rejectHint: 5, logTerm: 3 });
  });

  it('ignores a stale rejection', () => {
    const n = replicatingLeader();
    n.node.propose(bytes('a'));
    n.drain();
    n.step(appResp({ from: '2', to: '1', term: 1, index: 2 }));
    const marks = recordMarks(() => {
      n.step(appResp({ from: '2', to: '1', term: 1, reject: true, index: 1, rejectHint: 1 }));
    });
    expect(marks).toContain('leader: stale rejection ignored');
    expect(n.node.status().progress?.['2']).toMatchObject({ state: 'replicate', match: 2 });
  });
});

describe('proposal bounds', () => {
  it('drops proposals past uncommittedBytesMax with a typed error until entries apply', () => {
    const n = replicatingLeader({ uncommittedBytesMax: 250 });
    n.node.propose(new Uint8Array(100));
    n.node.propose(new Uint8Array(100));
    expect(() => n.node.propose(new Uint8Array(100))).toThrow(
      expect.objectContaining({
        code: 'TROUPE_ERR_PROPOSAL_DROPPED',
        reason: 'uncommittedBytesMax',
      }),
    );
    ackApps(n, n.drain(), '2');
    n.drain();
    expect(n.node.status().uncommittedBytes).toBe(0);
    expect(() => n.node.propose(new Uint8Array(100))).not.toThrow();
  });

  it('refuses an entry larger than entryBytesMax', () => {
    const n = replicatingLeader();
    expect(() => n.node.propose(new Uint8Array(1024 * 1024 + 1))).toThrow(
      expect.objectContaining({ reason: 'entryBytesMax' }),
    );
  });

  it('only the leader takes proposals', () => {
    const n = newNode('2', { voters: three });
    expect(() => n.node.propose(bytes('x'))).toThrow(
      expect.objectContaining({ reason: 'notLeader' }),
    );
  });
});
