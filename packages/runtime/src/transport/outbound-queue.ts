// The bounded queue of encoded envelopes waiting for the next flush to one peer. Envelopes are
// copied straight into frame-sized chunks as they are sent, so a flush hands ws a finished
// frame (the msgpack array header is written into room reserved at the chunk's front) with no
// per-message allocation and no second copy. Bounded by count and bytes.
import { assert } from '../assert.js';
import { arrayHeader } from '../wire/codec.js';

/** Room for the largest msgpack array header (array32: 5 bytes). */
const headerReserveBytes = 5;
const chunkBytesMin = 1_024;

interface Chunk {
  buffer: Buffer;
  used: number;
  count: number;
}

export class OutboundQueue {
  private chunks: Chunk[] = [];
  private bytes = 0;
  private messages = 0;
  private nextChunkBytes = chunkBytesMin;

  constructor(
    /** Frames are cut at about this size. */
    private readonly frameBytesTarget: number,
    private readonly envelopesPerFrameMax: number,
  ) {
    assert(frameBytesTarget >= chunkBytesMin, 'frameBytesTarget >= 1 KiB');
  }

  get length(): number {
    return this.messages;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Copies `source[start, end)`, one encoded envelope, onto the tail. */
  push(source: Uint8Array, start: number, end: number): void {
    const size = end - start;
    assert(size > 0, 'empty envelope');
    const chunk = this.tailWithRoom(size);
    chunk.buffer.set(source.subarray(start, end), chunk.used);
    chunk.used += size;
    chunk.count++;
    this.bytes += size;
    this.messages++;
  }

  /** Removes the oldest chunk as one complete frame (a msgpack array of envelopes). */
  takeFrame(): Buffer {
    const chunk = this.chunks.shift();
    assert(chunk !== undefined && chunk.count > 0, 'takeFrame on an empty queue');
    const payloadBytes = chunk.used - headerReserveBytes;
    this.bytes -= payloadBytes;
    this.messages -= chunk.count;
    assert(this.bytes >= 0 && this.messages >= 0, () => `queue went negative: ${this.bytes}`);
    // Size the next chunk from what this one needed: busy peers get big frames, idle ones
    // (a heartbeat every few hundred ms) do not pin large buffers.
    this.nextChunkBytes = Math.min(
      this.frameBytesTarget,
      Math.max(chunkBytesMin, 2 ** Math.ceil(Math.log2(chunk.used))),
    );
    const header = arrayHeader(chunk.count);
    const frameStart = headerReserveBytes - header.length;
    chunk.buffer.set(header, frameStart);
    return chunk.buffer.subarray(frameStart, chunk.used);
  }

  /** Removes every envelope, as frames, oldest first (for handing over to another socket). */
  drainFrames(): Buffer[] {
    const frames: Buffer[] = [];
    while (this.chunks.length > 0) frames.push(this.takeFrame());
    return frames;
  }

  private tailWithRoom(size: number): Chunk {
    const tail = this.chunks[this.chunks.length - 1];
    if (tail && tail.used + size <= tail.buffer.length && tail.count < this.envelopesPerFrameMax) {
      return tail;
    }
    const capacity = Math.max(this.nextChunkBytes, size + headerReserveBytes);
    const chunk: Chunk = {
      buffer: Buffer.allocUnsafe(capacity),
      used: headerReserveBytes,
      count: 0,
    };
    this.chunks.push(chunk);
    return chunk;
  }
}
