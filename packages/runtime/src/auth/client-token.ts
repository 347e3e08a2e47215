// Client tokens: what a balancer started with a token key lets clients in with. Signed by the
// operator (`troupe token create`), checked by the balancer without any state: a token says
// who (sub), until when (exp), optionally which keys (prefix) and whether it may write (ro).
//   tr1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "tr1." + claims part))>
// The signature is checked (in constant time) before the claims are parsed, so unsigned JSON
// is never interpreted. Pure apart from node:crypto; bounded: a token is at most 4 KiB.
import { timingSafeEqual } from 'node:crypto';
import { InvalidMessageError } from '../errors.js';
import type { SecretKey } from './secret.js';

export const clientTokenVersionPrefix = 'tr1.';
export const clientTokenCharsMax = 4_096;
export const tokenSubjectCharsMax = 64;
/** The key-value protocol's key bound: a longer prefix could match no key. */
export const tokenKeyPrefixBytesMax = 1_024;

export interface ClientTokenClaims {
  /** Who the token was issued to (shown in logs instead of the token). */
  readonly sub: string;
  /** Expiry, unix seconds. */
  readonly exp: number;
  /** Issued at, unix seconds. */
  readonly iat: number;
  /** When set, only keys starting with it may be read or written. */
  readonly prefix?: string;
  /** When set, reads only. */
  readonly ro?: true;
}

export type TokenProblem = 'malformed' | 'bad-signature' | 'expired';

export type TokenCheck =
  | { readonly ok: true; readonly claims: ClientTokenClaims }
  | { readonly ok: false; readonly problem: TokenProblem; readonly reason: string };

const claimFields: ReadonlySet<string> = new Set(['sub', 'exp', 'iat', 'prefix', 'ro']);
const base64url = /^[A-Za-z0-9_-]+$/;

function isUnixSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The claims' problem, or null when they are well-formed. */
function claimsProblem(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'claims not an object';
  const claims = raw as Record<string, unknown>;
  if (Object.keys(claims).some((field) => !claimFields.has(field))) return 'unknown claim';
  const { sub, exp, iat, prefix, ro } = claims;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > tokenSubjectCharsMax) {
    return `sub must be 1 to ${tokenSubjectCharsMax} characters`;
  }
  if (!isUnixSeconds(exp) || !isUnixSeconds(iat) || iat > exp) return 'bad exp or iat';
  if (
    prefix !== undefined &&
    (typeof prefix !== 'string' || Buffer.byteLength(prefix) > tokenKeyPrefixBytesMax)
  ) {
    return `prefix must be a string of at most ${tokenKeyPrefixBytesMax} bytes`;
  }
  if (ro !== undefined && ro !== true) return 'ro must be true or absent';
  return null;
}

function signatureOf(key: SecretKey, claimsPart: string): Buffer {
  return key.hmac(Buffer.from(`${clientTokenVersionPrefix}${claimsPart}`, 'utf8'));
}

/** Signs `claims`; throws InvalidMessageError when they break a bound. */
export function signClientToken(key: SecretKey, claims: ClientTokenClaims): string {
  const problem = claimsProblem(claims);
  if (problem !== null) throw new InvalidMessageError(`token claims: ${problem}`);
  const { sub, exp, iat, prefix, ro } = claims;
  const json = JSON.stringify({ sub, exp, iat, prefix, ro });
  const claimsPart = Buffer.from(json, 'utf8').toString('base64url');
  const signature = signatureOf(key, claimsPart).toString('base64url');
  const token = `${clientTokenVersionPrefix}${claimsPart}.${signature}`;
  if (token.length > clientTokenCharsMax) throw new InvalidMessageError('token too long');
  return token;
}

/** Checks format, signature and expiry, in that order. */
export function verifyClientToken(key: SecretKey, token: unknown, nowMs: number): TokenCheck {
  const malformed = (reason: string): TokenCheck => ({ ok: false, problem: 'malformed', reason });
  if (typeof token !== 'string' || token.length > clientTokenCharsMax) {
    return malformed('token malformed');
  }
  if (!token.startsWith(clientTokenVersionPrefix)) return malformed('token malformed (not tr1)');
  const parts = token.slice(clientTokenVersionPrefix.length).split('.');
  const [claimsPart, signaturePart] = parts;
  if (parts.length !== 2 || claimsPart === undefined || signaturePart === undefined) {
    return malformed('token malformed');
  }
  if (!base64url.test(claimsPart) || !base64url.test(signaturePart)) {
    return malformed('token malformed (not base64url)');
  }
  const presented = Buffer.from(signaturePart, 'base64url');
  const expected = signatureOf(key, claimsPart);
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
    return { ok: false, problem: 'bad-signature', reason: 'token signature invalid' };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(claimsPart, 'base64url').toString('utf8'));
  } catch {
    return malformed('token claims are not JSON');
  }
  const problem = claimsProblem(claims);
  if (problem !== null) return malformed(`token claims: ${problem}`);
  const valid = claims as ClientTokenClaims;
  if (valid.exp * 1_000 <= nowMs) return { ok: false, problem: 'expired', reason: 'token expired' };
  return { ok: true, claims: valid };
}

export type AccessDenial = 'expired' | 'outside-prefix' | 'read-only';

/** Whether a token's claims allow `op` on `key` at `nowMs`; null when they do. */
export function tokenDenies(
  claims: ClientTokenClaims,
  op: string,
  key: string,
  nowMs: number,
): AccessDenial | null {
  if (claims.exp * 1_000 <= nowMs) return 'expired';
  if (claims.prefix !== undefined && !key.startsWith(claims.prefix)) return 'outside-prefix';
  if (claims.ro === true && op !== 'get') return 'read-only';
  return null;
}
