// Fast failover (Failover) driven by a fake campaign function and fake timers: a lost leader
// makes the balancer ask the best candidate to campaign at once, then the next one every
// retryMs while no leader shows up (a candidate that still hears the leader is re-asked soon,
// a bounded number of times); a new leader ends the failover and reports how long it took; a
// group that lost its leader to a newer term is left to its own election.
import type { CampaignReply } from '@troupe/client/protocol';
import { silentLogger } from '@troupe/runtime';
import { afterEach, beforeEach, describe, expect, type Mock, test, vi } from 'vitest';
import type { ClusterView } from '../src/cluster/cluster-view.js';
import { type CampaignAsk, Failover, type FailoverHooks } from '../src/failover/failover.js';
import { type Beats, groupBeat, metaView, upView } from './fixtures.js';

const retryMs = 300;
const refused: CampaignReply = { ok: false, code: 'TROUPE_ERR_NOT_VOTER', message: 'learner' };
const leaderAlive: CampaignReply = { ok: false, code: 'TROUPE_ERR_LEADER_ALIVE', message: 'heard' };
const campaigning: CampaignReply = { ok: true, outcome: 'campaigning', term: 1 };

interface Setup {
  view: ClusterView;
  beats: Beats;
  failover: Failover;
  campaign: Mock<CampaignAsk>;
  events: string[];
}

/** s0 on n1, n2, n3 led by n1 at term 1; n2 is asked first (placement order), then n3. */
function setup(reply: () => Promise<CampaignReply>, attemptsMax = 3): Setup {
  const { view, beats } = upView(metaView([['n1', 'n2', 'n3']]), ['n1', 'n2', 'n3', 'n4']);
  beats.send('n1', [groupBeat('s0', 'leader', 1, 'n1', 20)]);
  beats.send('n2', [groupBeat('s0', 'follower', 1, 'n1', 15)]);
  beats.send('n3', [groupBeat('s0', 'follower', 1, 'n1', 12)]);
  const events: string[] = [];
  const hooks: FailoverHooks = {
    started: (groupId, former) => events.push(`started ${groupId} ${former}`),
    finished: (groupId, leader, ms) => events.push(`finished ${groupId} ${leader} ${ms}`),
    campaignAsked: (nodeId, outcome) => events.push(`asked ${nodeId} ${outcome}`),
  };
  const campaign = vi.fn<CampaignAsk>(() => reply());
  const nowMs = () => Date.now();
  const options = { retryMs, attemptsMax };
  const failover = new Failover(view, campaign, nowMs, silentLogger(), hooks, options);
  return { view, beats, failover, campaign, events };
}

function loseLeader({ view, failover }: Setup): void {
  failover.leadersLost(view.nodeDown('n1', Date.now(), true));
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Failover', () => {
  test('a lost leader makes it ask the best candidate at once', async () => {
    const s = setup(() => Promise.resolve(campaigning));
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.campaign.mock.calls).toEqual([['n2', 's0']]);
    expect(s.events).toEqual(['started s0 n1', 'asked n2 campaigning']);
    expect(s.failover.inProgress).toBe(1);
  });

  test('after a refusal it asks the next candidate once retryMs has passed', async () => {
    const s = setup(() => Promise.resolve(refused));
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(retryMs - 1);
    expect(s.campaign).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.campaign.mock.calls).toEqual([
      ['n2', 's0'],
      ['n3', 's0'],
    ]);
    expect(s.events).toContain('asked n2 TROUPE_ERR_NOT_VOTER');
  });

  test('a candidate that still hears the leader is re-asked soon, then the next', async () => {
    const s = setup(() => Promise.resolve(leaderAlive));
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(retryMs - 1);
    const early = s.campaign.mock.calls.map(([nodeId]) => nodeId);
    expect(early.length).toBeGreaterThan(1);
    expect(new Set(early)).toEqual(new Set(['n2']));
    await vi.advanceTimersByTimeAsync(10_000);
    const asked = s.campaign.mock.calls.map(([nodeId]) => nodeId);
    expect(asked.at(-1)).toBe('n3');
    expect(asked.filter((id) => id === 'n3')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(s.campaign).toHaveBeenCalledTimes(asked.length);
  });

  test('when no leader follows an accepted campaign it asks the next candidate', async () => {
    const s = setup(() => Promise.resolve(campaigning));
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(retryMs);
    expect(s.campaign.mock.calls.map(([nodeId]) => nodeId)).toEqual(['n2', 'n3']);
  });

  test('an unreachable candidate is reported as such and the next one is asked', async () => {
    const s = setup(() => Promise.reject(new Error('link down')));
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(retryMs);
    expect(s.events).toContain('asked n2 unreachable');
    expect(s.campaign.mock.calls.map(([nodeId]) => nodeId)).toEqual(['n2', 'n3']);
  });

  test('it stops asking when the candidates run out, and waits for the election', async () => {
    const s = setup(() => Promise.resolve(refused));
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(10 * retryMs);
    expect(s.campaign).toHaveBeenCalledTimes(2);
    expect(s.failover.inProgress).toBe(1);
  });

  test('it asks at most attemptsMax candidates (the former leader counts as tried)', async () => {
    const s = setup(() => Promise.resolve(refused), 1);
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(10 * retryMs);
    expect(s.campaign.mock.calls).toEqual([['n2', 's0']]);
  });

  test('a new leader finishes the failover and reports the time since the loss', async () => {
    const s = setup(() => Promise.resolve(refused));
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(450);
    const changes = s.beats.send('n3', [groupBeat('s0', 'leader', 2, 'n3', 20)]);
    s.failover.onLeaderChanges(changes);
    expect(s.events).toContain('finished s0 n3 450');
    expect(s.failover.inProgress).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * retryMs);
    expect(s.campaign).toHaveBeenCalledTimes(2);
  });

  test('a group left leaderless by a newer term does not start a failover', async () => {
    const s = setup(() => Promise.resolve(campaigning));
    const changes = s.beats.send('n3', [groupBeat('s0', 'candidate', 2, null)]);
    expect(changes).toEqual([{ groupId: 's0', from: 'n1', to: null, term: 2 }]);
    s.failover.onLeaderChanges(changes);
    await vi.advanceTimersByTimeAsync(10 * retryMs);
    expect(s.campaign).not.toHaveBeenCalled();
    expect(s.events).toEqual([]);
    expect(s.failover.inProgress).toBe(0);
  });

  test('a second loss of the same group while one failover runs asks nobody new', async () => {
    const s = setup(() => Promise.resolve(campaigning));
    loseLeader(s);
    s.failover.leadersLost([{ groupId: 's0', from: 'n1', to: null, term: 1 }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.campaign).toHaveBeenCalledTimes(1);
    expect(s.events.filter((e) => e.startsWith('started'))).toHaveLength(1);
  });

  test('a leader learned from a hint (no change reported) ends the failover', async () => {
    const s = setup(() => Promise.resolve(campaigning));
    loseLeader(s);
    await vi.advanceTimersByTimeAsync(0);
    // The router follows a NotLeader hint: the view changes, the failover hears nothing.
    s.view.applyLeaderHint('s0', 'n2');
    await vi.advanceTimersByTimeAsync(retryMs);
    expect(s.failover.inProgress).toBe(0);
    expect(s.events.at(-1)).toBe(`finished s0 n2 ${retryMs}`);
  });

  test('stop() clears pending failovers and ignores later losses', async () => {
    const s = setup(() => Promise.resolve(refused));
    loseLeader(s);
    s.failover.stop();
    expect(s.failover.inProgress).toBe(0);
    await vi.advanceTimersByTimeAsync(10 * retryMs);
    expect(s.campaign).toHaveBeenCalledTimes(1);
    s.failover.leadersLost([{ groupId: 's1', from: 'n2', to: null, term: 1 }]);
    expect(s.failover.inProgress).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
