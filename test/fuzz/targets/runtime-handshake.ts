// Fuzz target: the first frame of a connection, as the handshake reads it: decodeFrame then
// parseHandshake (protocol 2: hello, challenge, auth, welcome). Valid frames are encoded by
// the real encoder (toWire + encodeWholeFrame).
import { defaultLimits, protocolVersion } from '@troupe/runtime';
import {
  encodeWholeFrame,
  type HandshakeEnvelope,
  parseHandshake,
  toWire,
} from '@troupe/runtime/internal';
import fc from 'fast-check';
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
const nodeIdArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,20}$/);
const urlArb = fc.option(
  fc.tuple(fc.constantFrom('ws', 'wss'), fc.nat(65_535)).map(([s, p]) => `${s}://127.0.0.1:${p}`),
  { nil: null },
);
const nonceArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => {
  return Buffer.from(b).toString('hex');
});
const proofArb = fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: null });
const identity = {
  proto: fc.constant(protocolVersion),
  nodeId: nodeIdArb,
  role: fc.constantFrom('node', 'balancer', 'client', ''),
  listenUrl: urlArb,
  incarnation: nodeIdArb,
  nonce: nonceArb,
};

/** Every handshake envelope of the protocol: hello, challenge, auth, welcome. */
const handshakeArb: fc.Arbitrary<HandshakeEnvelope> = fc.oneof(
  fc.record({ kind: fc.constant('hello' as const), ...identity }),
  fc.record({ kind: fc.constant('challenge' as const), ...identity, proof: proofArb }),
  fc.record({ kind: fc.constant('auth' as const), proof: proofArb }),
  fc.constant({ kind: 'welcome' as const }),
);

const valid: fc.Arbitrary<Sample> = handshakeArb.map((envelope) => ({
  bytes: Uint8Array.from(encodeWholeFrame([toWire(envelope)])),
  value: envelope,
}));

function decodeAndParse(input: Uint8Array) {
  return decodeThenParse(input, (decoded) => parseHandshake(decoded, limits));
}

export const runtimeHandshake = defineTarget({
  name: 'runtime-handshake',
  entry: 'decodeFrame + parseHandshake (transport/handshake.ts)',
  codec: 'msgpack',
  valid,
  run(input) {
    const parsed = expectNoThrow(() => decodeAndParse(input));
    if (!parsed.ok) {
      if (!closeCodes.has(parsed.closeCode)) violation(`unknown close code ${parsed.closeCode}`);
      return checkReason(parsed.reason);
    }
    const envelope = parsed.value as { nodeId?: unknown; incarnation?: unknown };
    for (const id of [envelope.nodeId, envelope.incarnation]) {
      if (id === undefined) continue;
      if (typeof id !== 'string' || id.length === 0 || id.length > limits.nodeIdBytesMax) {
        violation(`handshake accepted with a bad id ${String(id).slice(0, 80)}`);
      }
    }
  },
  roundTrip(sample) {
    const parsed = decodeAndParse(sample.bytes);
    if (!parsed.ok) return violation(`a valid handshake was refused: ${parsed.reason}`);
    expectEqual(parsed.value, sample.value, 'handshake');
  },
});
