// The proofs of the runtime handshake (docs/wire-protocol.md#handshake): each side shows it
// holds the cluster secret by an HMAC-SHA256 over a transcript that binds both nonces and
// both sides' identities, so a proof is good for one connection between two named processes
// only, and the secret never crosses the wire. The two directions use different labels, so an
// acceptor's proof can never be replayed as a dialler's (or the reverse).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretKey } from './secret.js';

export const nonceBytes = 32;
export const proofBytes = 32;
export const acceptLabel = 'troupe/accept';
export const dialLabel = 'troupe/dial';
export type ProofLabel = typeof acceptLabel | typeof dialLabel;

/** One side's part of the transcript, as it sent it. */
export interface HandshakeSide {
  readonly nodeId: string;
  readonly role: string;
  readonly listenUrl: string | null;
  readonly incarnation: string;
  /** Hex of nonceBytes random bytes. */
  readonly nonce: string;
}

export interface Transcript {
  readonly proto: number;
  readonly dialler: HandshakeSide;
  readonly acceptor: HandshakeSide;
}

/** A fresh nonce, hex (a string, so a v1 peer's parser still reads the hello and says 4002). */
export function newNonce(): string {
  return randomBytes(nonceBytes).toString('hex');
}

export function isNonce(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

export function isProof(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === proofBytes;
}

/** Length-prefixed fields, so no two different transcripts encode to the same bytes. */
export function transcriptBytes(label: ProofLabel, t: Transcript): Buffer {
  const parts: Buffer[] = [];
  const field = (value: string | null): void => {
    const length = Buffer.alloc(4);
    if (value === null) {
      length.writeUInt32BE(0xffff_ffff);
      parts.push(length);
      return;
    }
    const bytes = Buffer.from(value, 'utf8');
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  field(label);
  field(String(t.proto));
  for (const side of [t.dialler, t.acceptor]) {
    field(side.nodeId);
    field(side.role);
    field(side.listenUrl);
    field(side.incarnation);
    field(side.nonce);
  }
  return Buffer.concat(parts);
}

export function handshakeProof(secret: SecretKey, label: ProofLabel, t: Transcript): Buffer {
  return secret.hmac(transcriptBytes(label, t));
}

/** Constant-time check of a presented proof. */
export function proofMatches(
  secret: SecretKey,
  label: ProofLabel,
  t: Transcript,
  presented: Uint8Array,
): boolean {
  const expected = handshakeProof(secret, label, t);
  return presented.length === expected.length && timingSafeEqual(expected, presented);
}
