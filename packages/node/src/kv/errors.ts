// Typed errors of the key-value state machine's own data: its Raft log entries and snapshots.
// They are written by this code, so a failure to read one back means the stored bytes are
// damaged (or written by an incompatible version); the replica must stop rather than guess.
import { TroupeError } from '@troupe/runtime';

/** A Raft entry or snapshot of a key-value group could not be decoded. Fatal for the replica. */
export class CorruptEntryError extends TroupeError {
  override readonly name = 'CorruptEntryError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_CORRUPT_ENTRY', message, options);
  }
}
