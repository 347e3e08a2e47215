// Builders for Raft test fixtures: entries, storages holding a given log, and messages with
// defaults for the fields a test does not care about.
import { MemoryStorage } from '../../../src/raft/memory-storage.js';
import type {
  AppMsg,
  AppRespMsg,
  HeartbeatMsg,
  HeartbeatRespMsg,
  Message,
  PreVoteMsg,
  VoteMsg,
} from '../../../src/raft/messages.js';
import type { ConfState, Entry, HardState, NormalEntry } from '../../../src/raft/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function text(data: Uint8Array): string {
  return decoder.decode(data);
}

export function entry(term: number, index: number, data = ''): NormalEntry {
  return { type: 'normal', term, index, data: bytes(data) };
}

/** Entries 1..n whose terms are `terms` (index i has term terms[i-1]). */
export function entriesWithTerms(terms: readonly number[], from = 1): Entry[] {
  return terms.map((term, i) => entry(term, from + i));
}

export function confState(voters: readonly string[], learners: readonly string[] = []): ConfState {
  return { voters: [...voters].sort(), learners: [...learners].sort() };
}

/**
 * A storage for a fixed membership whose log holds entries 1..n with the given terms (no
 * snapshot), and the given hard state (term defaults to the last entry's term).
 */
export function storageWithLog(
  cs: ConfState,
  terms: readonly number[] = [],
  hardState: Partial<HardState> = {},
): MemoryStorage {
  const storage = new MemoryStorage(cs);
  storage.append(entriesWithTerms(terms));
  const lastTerm = terms[terms.length - 1] ?? 0;
  storage.setHardState({ term: lastTerm, vote: null, commit: 0, ...hardState });
  return storage;
}

type Fields<M extends Message> = Omit<M, 'type'>;

export function vote(m: Partial<Fields<VoteMsg>> & Pick<VoteMsg, 'from' | 'to' | 'term'>): VoteMsg {
  return { type: 'vote', lastLogIndex: 0, lastLogTerm: 0, transfer: false, ...m };
}

export function preVote(
  m: Partial<Fields<PreVoteMsg>> & Pick<PreVoteMsg, 'from' | 'to' | 'term'>,
): PreVoteMsg {
  return { type: 'preVote', lastLogIndex: 0, lastLogTerm: 0, transfer: false, ...m };
}

export function app(m: Partial<Fields<AppMsg>> & Pick<AppMsg, 'from' | 'to' | 'term'>): AppMsg {
  return { type: 'app', prevLogIndex: 0, prevLogTerm: 0, entries: [], commit: 0, ...m };
}

export function appResp(
  m: Partial<Fields<AppRespMsg>> & Pick<AppRespMsg, 'from' | 'to' | 'term'>,
): AppRespMsg {
  return { type: 'appResp', reject: false, index: 0, rejectHint: 0, logTerm: 0, ...m };
}

export function heartbeat(
  m: Partial<Fields<HeartbeatMsg>> & Pick<HeartbeatMsg, 'from' | 'to' | 'term'>,
): HeartbeatMsg {
  return { type: 'heartbeat', commit: 0, ctx: null, leaseTick: 0, ...m };
}

export function heartbeatResp(
  m: Partial<Fields<HeartbeatRespMsg>> & Pick<HeartbeatRespMsg, 'from' | 'to' | 'term'>,
): HeartbeatRespMsg {
  return { type: 'heartbeatResp', ctx: null, leaseTick: 0, ...m };
}

/** Messages of one type, narrowed. */
export function ofType<T extends Message['type']>(
  messages: readonly Message[],
  type: T,
): Extract<Message, { type: T }>[] {
  return messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
}
