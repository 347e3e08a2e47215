// Builds frames from a batch of pending envelopes. The fast path encodes the whole batch with
// one msgpack call, after folding consecutive tells to the same actor from the same sender into
// one `tellMany` envelope (one path string for the run instead of one per message). A frame
// small enough that no envelope in it can exceed `envelopeBytesMax` goes out as is; otherwise
// (or if encoding throws) each envelope is encoded alone so the offenders can be reported and
// the rest still sent.
import { PayloadTooLargeError } from '../errors.js';
import type { PendingEnvelope } from '../transport/outbound-queue.js';
import { encodeEnvelope, encodeFrame, encodeWholeFrame } from './codec.js';
import { type Envelope, EnvelopeKind, toWire } from './envelope.js';

export interface FrameLimits {
  envelopeBytesMax: number;
  frameBytesTarget: number;
}

export type ReportFailure = (pending: PendingEnvelope, error: Error) => void;

/** Returns the frames to send for `batch`, in order; failures go to `report`. */
export function encodeFrames(
  batch: readonly PendingEnvelope[],
  limits: FrameLimits,
  report: ReportFailure,
): Buffer[] {
  let frame: Buffer | undefined;
  try {
    frame = encodeWholeFrame(foldTellRuns(batch.map((p) => p.envelope)));
  } catch {
    frame = undefined;
  }
  if (frame && frame.length <= limits.envelopeBytesMax) return [frame];
  return encodeOneByOne(batch, limits, report);
}

/** Wire forms, with consecutive tells to one target from one sender folded into tellMany. */
export function foldTellRuns(envelopes: readonly Envelope[]): unknown[][] {
  const wires: unknown[][] = [];
  for (const envelope of envelopes) {
    const last = wires[wires.length - 1];
    const extendsRun =
      envelope.kind === 'tell' &&
      last !== undefined &&
      (last[0] === EnvelopeKind.tell || last[0] === EnvelopeKind.tellMany) &&
      last[1] === envelope.to &&
      last[2] === envelope.from;
    if (!extendsRun || envelope.kind !== 'tell' || last === undefined) {
      wires.push(toWire(envelope));
    } else if (last[0] === EnvelopeKind.tell) {
      wires[wires.length - 1] = [
        EnvelopeKind.tellMany,
        envelope.to,
        envelope.from,
        [last[3], envelope.payload],
      ];
    } else {
      (last[3] as unknown[]).push(envelope.payload);
    }
  }
  return wires;
}

function encodeOneByOne(
  batch: readonly PendingEnvelope[],
  limits: FrameLimits,
  report: ReportFailure,
): Buffer[] {
  const frames: Buffer[] = [];
  let pieces: Uint8Array[] = [];
  let bytes = 0;
  const cut = (): void => {
    if (pieces.length > 0) frames.push(encodeFrame(pieces, bytes));
    pieces = [];
    bytes = 0;
  };
  for (const pending of batch) {
    let piece: Uint8Array;
    try {
      // Copy out of msgpackr's scratch buffer: the pieces outlive the next encode call.
      piece = Uint8Array.from(encodeEnvelope(toWire(pending.envelope), limits.envelopeBytesMax));
    } catch (error) {
      const failure = error instanceof Error ? error : new PayloadTooLargeError(String(error));
      report(pending, failure);
      continue;
    }
    if (pieces.length > 0 && bytes + piece.length > limits.frameBytesTarget) cut();
    pieces.push(piece);
    bytes += piece.length;
  }
  cut();
  return frames;
}
