// Fuzz target: a peer's frame after the handshake, as Connection.onMessage reads it:
// decodeFrame (msgpack) then parseFrame (every envelope kind, tellMany unfolded). Valid frames
// come from the real frame encoder (foldTellRuns + encodeWholeFrame).
import { defaultLimits } from '@troupe/runtime';
import { type Envelope, encodeWholeFrame, parseFrame } from '@troupe/runtime/internal';
import fc from 'fast-check';
import { foldTellRuns } from '../../../packages/runtime/src/wire/frame-encoder.js';
import {
  checkReason,
  defineTarget,
  expectEqual,
  expectNoThrow,
  type Sample,
  violation,
} from '../target.js';
import { decodeThenParse, runtimeCloseCodes } from './runtime-wire.js';

const limits = defaultLimits;
const closeCodes = runtimeCloseCodes;

const segmentArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,12}$/);
export const actorPathArb = fc
  .array(segmentArb, { minLength: 1, maxLength: 4 })
  .map((segments) => segments.join('/'));
const askIdArb = fc.oneof(fc.nat(1_000), fc.maxSafeNat());
export const payloadArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxLength: 5 }),
  fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.integer(), { maxKeys: 4 }),
);

/** One envelope of every post-handshake kind. */
export const envelopeArb: fc.Arbitrary<Envelope> = fc.oneof(
  fc.record({
    kind: fc.constant('tell' as const),
    to: actorPathArb,
    from: fc.option(actorPathArb, { nil: null }),
    payload: payloadArb,
  }),
  fc.record({
    kind: fc.constant('ask' as const),
    askId: askIdArb,
    to: actorPathArb,
    from: fc.option(actorPathArb, { nil: null }),
    timeoutMs: fc.integer({ min: 1, max: 24 * 60 * 60 * 1000 }),
    payload: payloadArb,
  }),
  fc.record({ kind: fc.constant('reply' as const), askId: askIdArb, payload: payloadArb }),
  fc.record({
    kind: fc.constant('replyError' as const),
    askId: askIdArb,
    code: fc.stringMatching(/^TROUPE_ERR_[A-Z_]{1,20}$/),
    message: fc.string({ maxLength: 60 }),
  }),
  fc.record({
    kind: fc.constantFrom('watch' as const, 'unwatch' as const),
    watcher: actorPathArb,
    target: actorPathArb,
  }),
  fc.record({
    kind: fc.constant('terminated' as const),
    target: actorPathArb,
    reason: fc.constantFrom('stopped' as const, 'failed' as const, 'not-found' as const),
  }),
  fc.constant({ kind: 'heartbeat' as const }),
);

/** Runs of tells to one actor, so the encoder folds some into tellMany. */
const frameArb = fc.array(
  fc.oneof(
    envelopeArb.map((e) => [e]),
    fc
      .tuple(actorPathArb, fc.array(payloadArb, { minLength: 2, maxLength: 4 }))
      .map(([to, payloads]) =>
        payloads.map((payload): Envelope => ({ kind: 'tell', to, from: null, payload })),
      ),
  ),
  { minLength: 1, maxLength: 6 },
);

const valid: fc.Arbitrary<Sample> = frameArb.map((runs) => {
  const envelopes = runs.flat();
  const bytes = Uint8Array.from(encodeWholeFrame(foldTellRuns(envelopes)));
  return { bytes, value: envelopes };
});

function decodeAndParse(input: Uint8Array) {
  return decodeThenParse(input, (decoded) => parseFrame(decoded, limits));
}

export const runtimeFrame = defineTarget({
  name: 'runtime-frame',
  entry: 'decodeFrame + parseFrame (Connection.onMessage)',
  codec: 'msgpack',
  valid,
  run(input) {
    const parsed = expectNoThrow(() => decodeAndParse(input));
    if (!parsed.ok) {
      if (!closeCodes.has(parsed.closeCode)) violation(`unknown close code ${parsed.closeCode}`);
      return checkReason(parsed.reason);
    }
    if (parsed.value.length > limits.envelopesPerFrameMax) {
      violation(`${parsed.value.length} envelopes exceed envelopesPerFrameMax`);
    }
    for (const envelope of parsed.value) checkEnvelopeBounds(envelope);
  },
  roundTrip(sample) {
    const parsed = decodeAndParse(sample.bytes);
    if (!parsed.ok) return violation(`a valid frame was refused: ${parsed.reason}`);
    expectEqual(parsed.value, sample.value, 'frame');
  },
});

function checkEnvelopeBounds(envelope: Envelope): void {
  const paths: unknown[] = [];
  if (envelope.kind === 'tell' || envelope.kind === 'ask') paths.push(envelope.to, envelope.from);
  if (envelope.kind === 'watch' || envelope.kind === 'unwatch') {
    paths.push(envelope.watcher, envelope.target);
  }
  if (envelope.kind === 'terminated') paths.push(envelope.target);
  for (const path of paths) {
    if (path === null) continue;
    if (typeof path !== 'string' || path.length === 0 || path.length > limits.actorPathBytesMax) {
      violation(`${envelope.kind} accepted with a bad path ${String(path).slice(0, 80)}`);
    }
  }
}
