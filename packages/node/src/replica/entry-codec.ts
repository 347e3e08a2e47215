// What a normal Raft entry of a Troupe group carries: the proposer's identity (node id plus a
// per-process incarnation) and request number, so the proposer can match the applied entry to
// the client waiting for it, and the command for the group's state machine. Empty data is the
// no-op entry a new leader appends.
import { Packr } from 'msgpackr';
import { CorruptEntryError } from '../kv/errors.js';

const packr = new Packr({ useRecords: false });

export interface EntryCommand {
  /** `${nodeId}/${incarnation}` of the proposer; a restarted proposer never matches. */
  readonly origin: string;
  readonly requestId: number;
  readonly command: Uint8Array;
}

export function encodeEntryCommand(entry: EntryCommand): Uint8Array {
  return packr.pack([entry.origin, entry.requestId, entry.command]);
}

/** Decodes an entry of our own log; anything else means the log is corrupt. */
export function decodeEntryCommand(data: Uint8Array): EntryCommand {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (error) {
    throw new CorruptEntryError(`entry is not msgpack: ${String(error)}`, { cause: error });
  }
  if (!Array.isArray(raw) || raw.length !== 3) throw new CorruptEntryError('entry is not a triple');
  const [origin, requestId, command] = raw as unknown[];
  if (typeof origin !== 'string' || !Number.isSafeInteger(requestId)) {
    throw new CorruptEntryError('entry origin or request id malformed');
  }
  if (!(command instanceof Uint8Array)) throw new CorruptEntryError('entry command is not bytes');
  return { origin, requestId: requestId as number, command };
}
