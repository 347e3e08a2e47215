// The candidate and pre-candidate roles (§5.2): count (pre-)votes, and give way to a leader of
// our term as soon as one speaks.
import { assert, unreachable } from '@troupe/runtime/assert';
import { mark } from './marks.js';
import type { PreVoteRespMsg, VoteRespMsg } from './messages.js';
import type { Raft, RoleMessage } from './raft.js';
import { adoptCommitHint, poll, winCampaign } from './raft-election.js';
import { dropRead } from './raft-read-index.js';

export function stepCandidate(r: Raft, msg: RoleMessage): void {
  assert(r.role === 'candidate' || r.role === 'preCandidate', () => `stepCandidate as ${r.role}`);
  assert(r.lead === null, () => `candidate ${r.id} has leader ${r.lead}`);
  switch (msg.type) {
    case 'app':
    case 'heartbeat':
    case 'snap':
      // §5.2: "If the leader's term (included in its RPC) is at least as large as the
      // candidate's current term, then the candidate recognizes the leader as legitimate and
      // returns to follower state." The role switch makes the follower handle the message.
      r.becomeFollower(msg.term, msg.from);
      r.stepFn(r, msg);
      return;
    case 'voteResp':
    case 'preVoteResp':
      countVote(r, msg);
      return;
    case 'readIndex':
      dropRead(r, msg, 'noLeader');
      return;
    case 'transferLeader':
    case 'timeoutNow':
      // We are campaigning already.
      mark('candidate: transfer request ignored');
      return;
    case 'appResp':
    case 'heartbeatResp':
    case 'snapResp':
    case 'readIndexResp':
      mark('candidate: ignored stale answer');
      return;
    default:
      unreachable(msg, 'candidate message');
  }
}

function countVote(r: Raft, msg: VoteRespMsg | PreVoteRespMsg): void {
  const expected = r.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
  if (msg.type !== expected) {
    mark('candidate: answer to another kind of campaign ignored');
    return;
  }
  if (msg.reject) adoptCommitHint(r, msg.commitHint);
  const result = poll(r, msg.from, !msg.reject);
  if (result === 'won') {
    winCampaign(r);
  } else if (result === 'lost') {
    // A pre-vote answer carries a future term; stay in our own.
    mark('campaign: lost');
    r.becomeFollower(r.term, null);
  }
}
