// The wire codec fed raw bytes: frames built from pre-encoded envelopes are valid msgpack,
// malformed bytes decode to an error (never a throw), and the validator refuses every field
// that is out of type or bound with the matching close code.
import { pack } from 'msgpackr';
import { describe, expect, test } from 'vitest';
import {
  arrayHeader,
  CloseCode,
  decodeFrame,
  defaultLimits,
  EncodeError,
  EnvelopeKind,
  encodeEnvelope,
  encodeFrame,
  PayloadTooLargeError,
  parseFrame,
  parseHandshake,
  toWire,
} from '../src/internal.js';

describe('frames', () => {
  test.each([0, 1, 15, 16, 65_535, 65_536])('array header for %i elements matches msgpack', (n) => {
    const reference = pack(new Array(n).fill(null)) as Uint8Array;
    const header = arrayHeader(n);
    expect([...header]).toEqual([...reference.subarray(0, header.length)]);
  });

  test('a frame of separately encoded envelopes decodes to the envelopes', () => {
    const envelopes = [
      toWire({ kind: 'tell', to: 'a/b', from: null, payload: { x: [1, 2, 'three'] } }),
      toWire({ kind: 'ask', askId: 7, to: 'c', from: 'd', timeoutMs: 100, payload: 'q' }),
      toWire({ kind: 'heartbeat' }),
    ];
    const pieces = envelopes.map((e) => encodeEnvelope(e, 1_000));
    const bytes = pieces.reduce((sum, p) => sum + p.length, 0);
    const decoded = decodeFrame(encodeFrame(pieces, bytes));
    expect(decoded).toEqual({ ok: true, value: envelopes });
  });

  test('an envelope over the byte limit is refused at the sender', () => {
    const wire = toWire({ kind: 'tell', to: 'a', from: null, payload: 'x'.repeat(2_000) });
    expect(() => encodeEnvelope(wire, 1_000)).toThrow(PayloadTooLargeError);
  });

  test('a value msgpack cannot encode is an EncodeError', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const wire = toWire({ kind: 'tell', to: 'a', from: null, payload: cyclic });
    expect(() => encodeEnvelope(wire, 1_000_000)).toThrow(EncodeError);
  });
});

describe('decoding untrusted bytes', () => {
  test.each([
    ['truncated array', [0x92, 0x01]],
    ['truncated str', [0xa5, 0x61]],
    ['huge declared array', [0xdd, 0xff, 0xff, 0xff, 0xff]],
    ['unknown extension', [0xd4, 0x05, 0x00]],
    ['trailing garbage', [0x01, 0x02]],
  ])('%s yields an error result', (_name, bytes) => {
    const result = decodeFrame(Uint8Array.from(bytes));
    expect(result.ok).toBe(false);
  });

  test('deeply nested input does not throw', () => {
    const bytes = new Uint8Array(200_000).fill(0x91);
    expect(() => decodeFrame(bytes)).not.toThrow();
  });
});

describe('envelope validation', () => {
  const ok = (raw: unknown) => parseFrame([raw], defaultLimits).ok;
  const codeOf = (raw: unknown) => {
    const parsed = parseFrame([raw], defaultLimits);
    return parsed.ok ? 'ok' : parsed.closeCode;
  };

  test('accepts well-formed envelopes of every kind', () => {
    expect(ok([EnvelopeKind.tell, 'a', null, 1])).toBe(true);
    expect(ok([EnvelopeKind.ask, 1, 'a', 'b', 10, 1])).toBe(true);
    expect(ok([EnvelopeKind.reply, 1, { any: 'thing' }])).toBe(true);
    expect(ok([EnvelopeKind.replyError, 1, 'TROUPE_ERR_X', 'msg'])).toBe(true);
    expect(ok([EnvelopeKind.watch, 'a', 'b'])).toBe(true);
    expect(ok([EnvelopeKind.unwatch, 'a', 'b'])).toBe(true);
    expect(ok([EnvelopeKind.terminated, 'a', 'stopped'])).toBe(true);
    expect(ok([EnvelopeKind.heartbeat])).toBe(true);
  });

  test.each([
    ['not an array', 'tell'],
    ['empty array', []],
    ['tell with a bad path', [EnvelopeKind.tell, '../etc', null, 1]],
    ['tell with a numeric path', [EnvelopeKind.tell, 5, null, 1]],
    ['tell with an over-long path', [EnvelopeKind.tell, 'a'.repeat(300), null, 1]],
    ['tell missing its payload', [EnvelopeKind.tell, 'a', null]],
    ['ask with a negative id', [EnvelopeKind.ask, -1, 'a', null, 10, 1]],
    ['ask with a fractional id', [EnvelopeKind.ask, 1.5, 'a', null, 10, 1]],
    ['ask with a zero timeout', [EnvelopeKind.ask, 1, 'a', null, 0, 1]],
    ['ask with a NaN timeout', [EnvelopeKind.ask, 1, 'a', null, Number.NaN, 1]],
    ['replyError with a huge message', [EnvelopeKind.replyError, 1, 'X', 'm'.repeat(5_000)]],
    ['terminated with an unknown reason', [EnvelopeKind.terminated, 'a', 'bored']],
    ['a handshake after the handshake', [EnvelopeKind.hello, 1, 'n', 'node', null, 'i', null]],
  ])('refuses %s with close code 4000', (_name, raw) => {
    expect(codeOf(raw)).toBe(CloseCode.badEnvelope);
  });

  test('refuses an unknown kind with close code 4001', () => {
    expect(codeOf([42, 'a'])).toBe(CloseCode.unknownKind);
  });

  test('refuses a frame that is not an array', () => {
    expect(parseFrame({ not: 'an array' }, defaultLimits).ok).toBe(false);
  });

  test('handshake frames: exactly one hello, challenge, auth or welcome, valid fields', () => {
    const nonce = 'ab'.repeat(32);
    const hello = [EnvelopeKind.hello, 2, 'node-a', 'node', 'ws://127.0.0.1:1', 'abc', nonce];
    expect(parseHandshake([hello], defaultLimits).ok).toBe(true);
    const challenge = [...hello.slice(1), new Uint8Array(32)];
    expect(parseHandshake([[EnvelopeKind.challenge, ...challenge]], defaultLimits).ok).toBe(true);
    expect(parseHandshake([[EnvelopeKind.auth, null]], defaultLimits).ok).toBe(true);
    expect(parseHandshake([[EnvelopeKind.welcome]], defaultLimits).ok).toBe(true);
    for (const bad of [
      [EnvelopeKind.hello, 2, 'node-a', 'node', null, 'abc', 'AB'.repeat(32)],
      [EnvelopeKind.hello, 2, 'node-a', 'node', null, 'abc', null],
      [EnvelopeKind.auth, new Uint8Array(31)],
      [EnvelopeKind.challenge, ...challenge.slice(0, -1), 'proof'],
    ]) {
      expect(parseHandshake([bad], defaultLimits)).toMatchObject({ ok: false, closeCode: 4004 });
    }
    const v1 = [EnvelopeKind.hello, 1, 'node-a', 'node', null, 'abc', 'a-v1-token'];
    expect(parseHandshake([v1], defaultLimits)).toMatchObject({ ok: false, closeCode: 4002 });
    const badId = [...hello];
    badId[2] = 'has space';
    expect(parseHandshake([badId], defaultLimits)).toMatchObject({ ok: false, closeCode: 4004 });
    expect(parseHandshake([hello, hello], defaultLimits).ok).toBe(false);
    expect(parseHandshake([[EnvelopeKind.tell, 'a', null, 1]], defaultLimits).ok).toBe(false);
  });
});
