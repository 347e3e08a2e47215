// The per-peer outbound queue: envelopes copied into frame chunks come out as valid msgpack
// frames, in order, cut at the frame target and the per-frame count.
import { describe, expect, test } from 'vitest';
import { decodeFrame, encodeValue } from '../src/internal.js';
import { OutboundQueue } from '../src/transport/outbound-queue.js';

function push(queue: OutboundQueue, value: unknown): void {
  const bytes = encodeValue(value);
  queue.push(bytes, 0, bytes.length);
}

describe('OutboundQueue', () => {
  test('frames decode to the pushed values in order', () => {
    const queue = new OutboundQueue(4_096, 1_000);
    const values = Array.from({ length: 300 }, (_, i) => ({ i, s: 'v'.repeat(i % 20) }));
    for (const value of values) push(queue, value);
    const decoded: unknown[] = [];
    while (queue.length > 0) {
      const frame = decodeFrame(queue.takeFrame());
      expect(frame.ok).toBe(true);
      decoded.push(...(frame as { value: unknown[] }).value);
    }
    expect(decoded).toEqual(values);
    expect(queue.sizeBytes).toBe(0);
  });

  test('a frame holds at most envelopesPerFrameMax envelopes', () => {
    const queue = new OutboundQueue(1_024 * 1_024, 16);
    for (let i = 0; i < 40; i++) push(queue, i);
    const sizes: number[] = [];
    while (queue.length > 0)
      sizes.push((decodeFrame(queue.takeFrame()) as { value: unknown[] }).value.length);
    expect(sizes).toEqual([16, 16, 8]);
  });

  test('an envelope larger than a chunk gets a chunk of its own', () => {
    const queue = new OutboundQueue(1_024, 100);
    push(queue, 'small');
    push(queue, 'x'.repeat(5_000));
    push(queue, 'after');
    const frames = queue.drainFrames().map((f) => (decodeFrame(f) as { value: unknown[] }).value);
    expect(frames.flat()).toEqual(['small', 'x'.repeat(5_000), 'after']);
    expect(queue.length).toBe(0);
  });

  test('counts messages and bytes', () => {
    const queue = new OutboundQueue(1_024, 100);
    push(queue, 1);
    push(queue, 'ab');
    expect(queue.length).toBe(2);
    expect(queue.sizeBytes).toBe(1 + 3);
  });
});
