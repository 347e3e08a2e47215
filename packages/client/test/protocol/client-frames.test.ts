// The client protocol's frame checks, which a balancer applies to untrusted input: checkHello
// (the first frame; each refusal carries the close code the balancer sends) and
// checkRequestFrame (every later frame: 1 to requestsPerFrameMax [id, request, timeoutMs?]
// items, ids uint32, timeouts 1 to requestTimeoutMsMax), with every rejection and bound.
import { describe, expect, test } from 'vitest';
import {
  ClientCloseCode,
  checkHello,
  checkRequestFrame,
  clientProtocolVersion,
  isPingRequest,
  requestsPerFrameMax,
  requestTimeoutMsMax,
} from '../../src/protocol/client-frames.js';

const request = { op: 'get', key: 'k' };

describe('checkHello', () => {
  test('accepts the smallest hello, with no token and no name', () => {
    expect(checkHello({ type: 'hello', proto: clientProtocolVersion })).toEqual({
      ok: true,
      hello: { type: 'hello', proto: 1, token: null, name: undefined },
    });
  });

  test('accepts a token and a name at their longest, and drops unknown fields', () => {
    const hello = { type: 'hello', proto: 1, token: 't'.repeat(4_096), name: 'n'.repeat(128) };
    expect(checkHello({ ...hello, extra: { big: true } })).toEqual({ ok: true, hello });
  });

  test('accepts an explicit null token', () => {
    expect(checkHello({ type: 'hello', proto: 1, token: null })).toMatchObject({
      ok: true,
      hello: { token: null },
    });
  });

  test.each([
    ['null', null],
    ['an array', [{ type: 'hello', proto: 1 }]],
    ['a string', 'hello'],
    ['a number', 1],
    ['undefined', undefined],
  ])('refuses %s as a first frame (handshake)', (_what, message) => {
    expect(checkHello(message)).toEqual({
      ok: false,
      closeCode: ClientCloseCode.handshake,
      reason: 'first frame must be a hello map',
    });
  });

  test('refuses a map that is not a hello (handshake)', () => {
    expect(checkHello({ type: 'welcome', proto: 1 })).toMatchObject({
      ok: false,
      closeCode: ClientCloseCode.handshake,
    });
    expect(checkHello({ proto: 1 })).toMatchObject({ closeCode: ClientCloseCode.handshake });
  });

  test.each([
    ['another version', 2],
    ['version 0', 0],
    ['a string version', '1'],
    ['no version', undefined],
  ])('refuses %s (protocol version)', (_what, proto) => {
    expect(checkHello({ type: 'hello', proto })).toEqual({
      ok: false,
      closeCode: ClientCloseCode.protocolVersion,
      reason: 'protocol 1 only',
    });
  });

  test.each([
    ['a number', 42],
    ['a map', { secret: 'x' }],
    ['too long', 't'.repeat(4_097)],
  ])('refuses a token that is %s (handshake)', (_what, token) => {
    expect(checkHello({ type: 'hello', proto: 1, token })).toEqual({
      ok: false,
      closeCode: ClientCloseCode.handshake,
      reason: 'token must be a string',
    });
  });

  test.each([
    ['a number', 7],
    ['null', null],
    ['too long', 'n'.repeat(129)],
  ])('refuses a name that is %s (handshake)', (_what, name) => {
    expect(checkHello({ type: 'hello', proto: 1, name })).toMatchObject({
      ok: false,
      closeCode: ClientCloseCode.handshake,
      reason: 'name must be a string of at most 128',
    });
  });
});

describe('checkRequestFrame', () => {
  test('accepts items with and without a timeout, passing requests through unchecked', () => {
    const odd = { anything: [1, 2] };
    expect(
      checkRequestFrame([
        [1, request],
        [2, odd, 500],
      ]),
    ).toEqual({
      ok: true,
      items: [
        { id: 1, request, timeoutMs: undefined },
        { id: 2, request: odd, timeoutMs: 500 },
      ],
    });
  });

  test.each([
    ['a map', { 0: [1, request] }],
    ['a string', 'frame'],
    ['null', null],
    ['undefined', undefined],
  ])('refuses a frame that is %s', (_what, frame) => {
    expect(checkRequestFrame(frame)).toEqual({ ok: false, reason: 'frame must be an array' });
  });

  test(`carries 1 to ${requestsPerFrameMax} requests`, () => {
    const items = (n: number) => Array.from({ length: n }, (_, i) => [i, request]);
    const reason = `frame must carry 1 to ${requestsPerFrameMax} requests`;
    expect(checkRequestFrame(items(0))).toEqual({ ok: false, reason });
    expect(checkRequestFrame(items(1)).ok).toBe(true);
    expect(checkRequestFrame(items(requestsPerFrameMax)).ok).toBe(true);
    expect(checkRequestFrame(items(requestsPerFrameMax + 1))).toEqual({ ok: false, reason });
  });

  test.each([
    ['not an array', { id: 1, request }],
    ['too short', [1]],
    ['empty', []],
    ['too long', [1, request, 100, 'extra']],
  ])('refuses an item that is %s, naming its position', (_what, item) => {
    expect(checkRequestFrame([[0, request], item])).toEqual({
      ok: false,
      reason: 'item 1 must be [id, request] or [id, request, ms]',
    });
  });

  test('accepts ids from 0 to 2^32 - 1', () => {
    expect(checkRequestFrame([[0, request]]).ok).toBe(true);
    expect(checkRequestFrame([[2 ** 32 - 1, request]]).ok).toBe(true);
  });

  test.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['2^32', 2 ** 32],
    ['a string', '1'],
    ['NaN', Number.NaN],
    ['null', null],
    ['a bigint', 1n],
  ])('refuses an id that is %s', (_what, id) => {
    expect(checkRequestFrame([[id, request]])).toEqual({
      ok: false,
      reason: 'item 0: id must be a uint32',
    });
  });

  test(`accepts timeouts from 1 to ${requestTimeoutMsMax} ms`, () => {
    expect(checkRequestFrame([[1, request, 1]]).ok).toBe(true);
    expect(checkRequestFrame([[1, request, requestTimeoutMsMax]]).ok).toBe(true);
  });

  test.each([
    ['zero', 0],
    ['negative', -5],
    ['fractional', 2.5],
    ['above the maximum', requestTimeoutMsMax + 1],
    ['a string', '100'],
    ['null', null],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('refuses a timeout that is %s', (_what, timeoutMs) => {
    expect(
      checkRequestFrame([
        [1, request],
        [2, request, timeoutMs],
      ]),
    ).toEqual({
      ok: false,
      reason: `item 1: timeout must be 1 to ${requestTimeoutMsMax}`,
    });
  });
});

describe('isPingRequest', () => {
  test('exactly { op: "ping" } is a ping', () => {
    expect(isPingRequest({ op: 'ping' })).toBe(true);
  });

  test.each([
    ['extra fields', { op: 'ping', key: 'k' }],
    ['another op', { op: 'get', key: 'k' }],
    ['null', null],
    ['a string', 'ping'],
    ['an array', ['ping']],
  ])('%s is not a ping', (_name, value) => {
    expect(isPingRequest(value)).toBe(false);
  });
});
