// Typed operating errors of the Raft core: a proposal or a read the core refuses. They are
// expected under load or during elections (the caller retries elsewhere or later); broken
// invariants are AssertionErrors instead and are never caught.

export type ProposalDroppedReason =
  | 'notLeader'
  | 'notMember'
  | 'leaderTransferring'
  | 'entryBytesMax'
  | 'uncommittedBytesMax'
  | 'confChangePending'
  | 'confChangeInvalid';

/** The core did not append the proposal; nothing about it was replicated. */
export class ProposalDroppedError extends Error {
  override readonly name = 'ProposalDroppedError';
  readonly code = 'TROUPE_ERR_PROPOSAL_DROPPED';
  readonly reason: ProposalDroppedReason;

  constructor(reason: ProposalDroppedReason, detail: string, options?: { cause?: unknown }) {
    super(`proposal dropped (${reason}): ${detail}`, options);
    this.reason = reason;
  }
}

export type ReadIndexDroppedReason =
  | 'noLeader'
  | 'notMember'
  | 'readRequestsPendingMax'
  | 'readCtxBytesMax';

/** The core did not accept the read-index request; no ReadState will come for it. */
export class ReadIndexDroppedError extends Error {
  override readonly name = 'ReadIndexDroppedError';
  readonly code = 'TROUPE_ERR_READ_INDEX_DROPPED';
  readonly reason: ReadIndexDroppedReason;

  constructor(reason: ReadIndexDroppedReason, detail: string, options?: { cause?: unknown }) {
    super(`read index dropped (${reason}): ${detail}`, options);
    this.reason = reason;
  }
}
