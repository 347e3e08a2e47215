// Frame building: batches encode to one frame whose decoded, validated envelopes equal the
// batch (tell runs folded and unfolded again); oversized or unencodable envelopes are reported
// and the rest still sent.
import { describe, expect, test } from 'vitest';
import {
  decodeFrame,
  defaultLimits,
  EncodeError,
  type Envelope,
  EnvelopeKind,
  PayloadTooLargeError,
  parseFrame,
} from '../src/internal.js';
import type { PendingEnvelope } from '../src/transport/outbound-queue.js';
import { encodeFrames, foldTellRuns } from '../src/wire/frame-encoder.js';

const limits = { envelopeBytesMax: 1_000, frameBytesTarget: 4_096 };

function pending(envelopes: Envelope[]): PendingEnvelope[] {
  return envelopes.map((envelope) => ({ envelope, onError: undefined }));
}

function roundTrip(frames: Buffer[]): Envelope[] {
  return frames.flatMap((frame) => {
    const decoded = decodeFrame(frame);
    if (!decoded.ok) throw new Error(decoded.reason);
    const parsed = parseFrame(decoded.value, defaultLimits);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.value;
  });
}

const tell = (to: string, payload: unknown, from: string | null = null): Envelope => ({
  kind: 'tell',
  to,
  from,
  payload,
});

describe('encodeFrames', () => {
  test('a mixed batch round-trips through decode and validation unchanged', () => {
    const batch: Envelope[] = [
      tell('a', 1),
      tell('a', 2),
      tell('a', 3, 'me'),
      { kind: 'ask', askId: 9, to: 'a', from: null, timeoutMs: 50, payload: 'q' },
      tell('b', { deep: [1, 2] }),
      { kind: 'heartbeat' },
      tell('b', 5),
    ];
    const frames = encodeFrames(pending(batch), limits, () => {
      throw new Error('nothing should fail');
    });
    expect(frames).toHaveLength(1);
    expect(roundTrip(frames)).toEqual(batch);
  });

  test('consecutive tells to one target from one sender fold into one tellMany', () => {
    const wires = foldTellRuns([
      tell('a', 1),
      tell('a', 2),
      tell('a', 3),
      tell('b', 4),
      tell('a', 5),
    ]);
    expect(wires).toEqual([
      [EnvelopeKind.tellMany, 'a', null, [1, 2, 3]],
      [EnvelopeKind.tell, 'b', null, 4],
      [EnvelopeKind.tell, 'a', null, 5],
    ]);
  });

  test('an oversized envelope is reported and the others are still sent, in order', () => {
    const failures: Array<[unknown, Error]> = [];
    const batch = [tell('a', 1), tell('a', 'x'.repeat(5_000)), tell('a', 3)];
    const frames = encodeFrames(pending(batch), limits, (p, error) => {
      failures.push([p.envelope, error]);
    });
    expect(roundTrip(frames)).toEqual([tell('a', 1), tell('a', 3)]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.[1]).toBeInstanceOf(PayloadTooLargeError);
  });

  test('an unencodable envelope is reported with EncodeError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const failures: Error[] = [];
    const frames = encodeFrames(pending([tell('a', cyclic), tell('a', 2)]), limits, (_p, error) => {
      failures.push(error);
    });
    expect(roundTrip(frames)).toEqual([tell('a', 2)]);
    expect(failures[0]).toBeInstanceOf(EncodeError);
  });

  test('the slow path cuts frames at the frame target', () => {
    const big = 'y'.repeat(900);
    const batch = Array.from({ length: 10 }, (_, i) => tell('a', `${i}${big}`));
    const frames = encodeFrames(pending(batch), limits, () => undefined);
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(4_096 + 1_000);
    expect(roundTrip(frames)).toEqual(batch);
  });
});

describe('tellMany validation', () => {
  test('refuses an empty or malformed run', () => {
    expect(parseFrame([[EnvelopeKind.tellMany, 'a', null, []]], defaultLimits).ok).toBe(false);
    expect(parseFrame([[EnvelopeKind.tellMany, 'a', null, 'x']], defaultLimits).ok).toBe(false);
    expect(parseFrame([[EnvelopeKind.tellMany, '../a', null, [1]]], defaultLimits).ok).toBe(false);
  });

  test('a run counts each of its tells against envelopesPerFrameMax', () => {
    const small = { ...defaultLimits, envelopesPerFrameMax: 3 };
    expect(parseFrame([[EnvelopeKind.tellMany, 'a', null, [1, 2, 3]]], small).ok).toBe(true);
    expect(parseFrame([[EnvelopeKind.tellMany, 'a', null, [1, 2, 3, 4]]], small).ok).toBe(false);
  });
});
