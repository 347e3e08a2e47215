// Client tokens: what signs verifies; an expired, re-signed, tampered or malformed token is
// refused with its own problem; claims are bounded; tokenDenies applies prefix and read-only.
import { describe, expect, test } from 'vitest';
import {
  type ClientTokenClaims,
  SecretKey,
  signClientToken,
  tokenDenies,
  verifyClientToken,
} from '../../src/internal.js';

const key = SecretKey.from('the-client-token-signing-key');
const otherKey = SecretKey.from('another-client-token-key!!');
const nowMs = 1_800_000_000_000;
const claims: ClientTokenClaims = { sub: 'app', iat: nowMs / 1_000, exp: nowMs / 1_000 + 3_600 };

describe('verifyClientToken', () => {
  test('a signed token verifies, with its claims', () => {
    const token = signClientToken(key, { ...claims, prefix: 'user:', ro: true });
    expect(token.startsWith('tr1.')).toBe(true);
    expect(verifyClientToken(key, token, nowMs)).toEqual({
      ok: true,
      claims: { ...claims, prefix: 'user:', ro: true },
    });
  });

  test('expired: refused as expired, from its exp second on', () => {
    const token = signClientToken(key, claims);
    expect(verifyClientToken(key, token, claims.exp * 1_000)).toMatchObject({
      ok: false,
      problem: 'expired',
    });
    expect(verifyClientToken(key, token, claims.exp * 1_000 - 1).ok).toBe(true);
  });

  test('signed with another key, or claims edited: bad signature', () => {
    const token = signClientToken(otherKey, claims);
    expect(verifyClientToken(key, token, nowMs)).toMatchObject({ problem: 'bad-signature' });
    const [, , signature] = signClientToken(key, claims).split('.');
    const widened = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 1e6 }));
    const forged = `tr1.${widened.toString('base64url')}.${signature}`;
    expect(verifyClientToken(key, forged, nowMs)).toMatchObject({ problem: 'bad-signature' });
  });

  test('malformed in every other way', () => {
    const good = signClientToken(key, claims);
    const [, claimsPart, signature] = good.split('.') as [string, string, string];
    // Correctly signed, so only the claims themselves can be what is refused.
    const signed = (part: string) =>
      `tr1.${part}.${key.hmac(Buffer.from(`tr1.${part}`)).toString('base64url')}`;
    const signedNotJson = signed(Buffer.from('{not json').toString('base64url'));
    const extra = Buffer.from(JSON.stringify({ ...claims, admin: true })).toString('base64url');
    const signedExtra = signed(extra);
    for (const bad of [
      null,
      42,
      '',
      'tr2.a.b',
      `tr1.${claimsPart}`,
      `tr1.${claimsPart}.${signature}.x`,
      `tr1.${claimsPart}.${signature}=`,
      `tr1.${'a'.repeat(5_000)}.${signature}`,
      signedNotJson,
      signedExtra,
    ]) {
      expect(verifyClientToken(key, bad, nowMs)).toMatchObject({ ok: false, problem: 'malformed' });
    }
  });

  test('claims out of bounds cannot be signed', () => {
    expect(() => signClientToken(key, { ...claims, sub: 's'.repeat(65) })).toThrow(/sub/);
    expect(() => signClientToken(key, { ...claims, sub: '' })).toThrow(/sub/);
    expect(() => signClientToken(key, { ...claims, prefix: 'p'.repeat(1_025) })).toThrow(/prefix/);
    expect(() => signClientToken(key, { ...claims, exp: claims.iat - 1 })).toThrow(/exp/);
  });
});

describe('tokenDenies', () => {
  test('prefix, read-only and expiry', () => {
    const scoped: ClientTokenClaims = { ...claims, prefix: 'user:', ro: true };
    expect(tokenDenies(scoped, 'get', 'user:1', nowMs)).toBeNull();
    expect(tokenDenies(scoped, 'get', 'admin:1', nowMs)).toBe('outside-prefix');
    for (const op of ['update', 'create', 'delete']) {
      expect(tokenDenies(scoped, op, 'user:1', nowMs)).toBe('read-only');
    }
    expect(tokenDenies(claims, 'update', 'anything', nowMs)).toBeNull();
    expect(tokenDenies(claims, 'get', 'k', claims.exp * 1_000)).toBe('expired');
  });
});
