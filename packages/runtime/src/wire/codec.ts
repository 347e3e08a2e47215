// msgpack encoding of envelopes and frames (msgpackr). A frame is one msgpack array of
// envelopes; it is either encoded in one call (the fast path) or assembled from separately
// encoded envelopes behind an array header, which is the same bytes.
import { Packr } from 'msgpackr';
import { assert } from '../assert.js';
import { EncodeError, PayloadTooLargeError } from '../errors.js';

// Records (msgpackr's shared structures) need per-connection state on both ends; plain maps
// keep every frame self-describing, so any peer can decode any frame on its own.
const packr = new Packr({ useRecords: false });

/** Encodes one wire-form envelope; throws EncodeError or PayloadTooLargeError. */
export function encodeEnvelope(wire: unknown[], envelopeBytesMax: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = packr.pack(wire);
  } catch (error) {
    throw new EncodeError(`message cannot be encoded as msgpack: ${String(error)}`, {
      cause: error,
    });
  }
  if (bytes.length > envelopeBytesMax) {
    throw new PayloadTooLargeError(
      `encoded message is ${bytes.length} bytes; the limit is ${envelopeBytesMax}`,
    );
  }
  return bytes;
}

/** The msgpack header of an array of `count` elements. */
export function arrayHeader(count: number): Uint8Array {
  assert(Number.isSafeInteger(count) && count >= 0, () => `array count ${count}`);
  if (count < 16) return Uint8Array.of(0x90 | count);
  if (count < 0x1_0000) return Uint8Array.of(0xdc, count >>> 8, count & 0xff);
  assert(count <= 0xffff_ffff, 'array fits array32');
  return Uint8Array.of(
    0xdd,
    count >>> 24,
    (count >>> 16) & 0xff,
    (count >>> 8) & 0xff,
    count & 0xff,
  );
}

/** Joins encoded envelopes into one frame (a msgpack array). */
export function encodeFrame(encoded: readonly Uint8Array[], totalBytes: number): Buffer {
  const header = arrayHeader(encoded.length);
  const frame = Buffer.allocUnsafe(header.length + totalBytes);
  frame.set(header, 0);
  let offset = header.length;
  for (const piece of encoded) {
    frame.set(piece, offset);
    offset += piece.length;
  }
  assert(offset === frame.length, () => `frame size ${offset} != ${frame.length}`);
  return frame;
}

/** Encodes a frame of wire-form envelopes in one call (handshakes and tests). */
export function encodeWholeFrame(wires: readonly unknown[][]): Buffer {
  return packr.pack(wires);
}

export type DecodeResult = { ok: true; value: unknown } | { ok: false; reason: string };

/** Decodes untrusted bytes; never throws (malformed input, deep nesting, unknown extensions). */
export function decodeFrame(bytes: Uint8Array): DecodeResult {
  try {
    return { ok: true, value: packr.unpack(bytes) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `msgpack decode failed: ${reason}` };
  }
}

/** Encodes any value (payload-level helper for hosts and tests). */
export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes any value; throws on malformed input. */
export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
