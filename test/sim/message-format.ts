// One compact line per Raft message for `--trace` replays: sender>receiver, type, term, and
// the fields that matter for that type (legend in docs/testing.md).
import type { Message } from '@troupe/node/raft';

function details(message: Message): string {
  switch (message.type) {
    case 'vote':
    case 'preVote':
      return `last=${message.lastLogIndex}/${message.lastLogTerm}${message.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return message.reject ? 'reject' : 'grant';
    case 'app': {
      const entries = message.entries;
      const span =
        entries.length === 0
          ? ''
          : ` [${entries[0]?.index}..${entries[entries.length - 1]?.index}]`;
      return `prev=${message.prevLogIndex}/${message.prevLogTerm} commit=${message.commit}${span}`;
    }
    case 'appResp':
      return message.reject
        ? `reject ${message.index} hint=${message.rejectHint}/${message.logTerm}`
        : `ok ${message.index}`;
    case 'heartbeat':
      return `commit=${message.commit}${message.ctx ? ' +read' : ''}`;
    case 'heartbeatResp':
      return message.ctx ? '+read' : '';
    case 'snap':
      return `snap=${message.metadata.index}/${message.metadata.term} at ${message.offsetBytes}/${message.totalBytes}${message.done ? ' done' : ''}`;
    case 'snapResp':
      return `snap=${message.snapshotIndex} got ${message.receivedBytes}`;
    case 'transferLeader':
      return `to=${message.transferee}`;
    case 'readIndexResp':
      return `index=${message.index}`;
    case 'timeoutNow':
    case 'readIndex':
      return '';
  }
}

export function formatMessage(message: Message): string {
  return `msg ${message.from}>${message.to} ${message.type} t${message.term} ${details(message)}`.trimEnd();
}
