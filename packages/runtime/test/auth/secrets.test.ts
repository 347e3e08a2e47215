// The pieces under the handshake: the nonce cache's fixed bound, the transcript encoding that
// no two transcripts share, SecretKey's refusal to print itself, and secret files.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, test } from 'vitest';
import {
  acceptLabel,
  dialLabel,
  handshakeProof,
  loadSecret,
  NonceCache,
  SecretKey,
  type Transcript,
  transcriptBytes,
} from '../../src/internal.js';

describe('NonceCache', () => {
  test('refuses a nonce it holds; forgets the oldest past its capacity', () => {
    const cache = new NonceCache(3);
    for (const nonce of ['a', 'b', 'c']) expect(cache.remember(nonce)).toBe(true);
    expect(cache.remember('a')).toBe(false);
    expect(cache.remember('d')).toBe(true);
    expect(cache.size).toBe(3);
    expect(cache.remember('b')).toBe(false);
    expect(cache.remember('a')).toBe(true);
  });
});

describe('transcript', () => {
  const side = (nodeId: string, nonce: string) => ({
    nodeId,
    role: 'node',
    listenUrl: null,
    incarnation: 'i1',
    nonce,
  });
  const t: Transcript = { proto: 2, dialler: side('ab', 'n1'), acceptor: side('c', 'n2') };

  test('moving a byte across a field boundary changes the bytes', () => {
    const shifted: Transcript = { ...t, dialler: side('a', 'n1'), acceptor: side('bc', 'n2') };
    expect(transcriptBytes(dialLabel, t).equals(transcriptBytes(dialLabel, shifted))).toBe(false);
    const url: Transcript = { ...t, dialler: { ...side('ab', 'n1'), listenUrl: '' } };
    expect(transcriptBytes(dialLabel, t).equals(transcriptBytes(dialLabel, url))).toBe(false);
  });

  test('the two directions prove different things', () => {
    const key = SecretKey.from('sixteen-bytes-at-least');
    expect(handshakeProof(key, dialLabel, t).equals(handshakeProof(key, acceptLabel, t))).toBe(
      false,
    );
  });
});

describe('SecretKey', () => {
  const value = 'a-secret-that-must-never-print';

  test('prints as [secret] everywhere', () => {
    const key = SecretKey.from(value);
    expect(String(key)).toBe('[secret]');
    expect(`${key}`).toBe('[secret]');
    expect(JSON.stringify({ key })).toBe('{"key":"[secret]"}');
    expect(inspect({ key })).not.toContain(value);
  });

  test('refuses fewer than 16 bytes, without naming the value', () => {
    expect(() => SecretKey.from('short-secret')).toThrow(/at least|16 to/);
    try {
      SecretKey.from('short-secret');
    } catch (error) {
      expect(String(error)).not.toContain('short-secret');
    }
  });
});

describe('loadSecret', () => {
  const what = { flag: '--cluster-secret-file', env: 'TROUPE_CLUSTER_SECRET' };
  const dir = mkdtempSync(join(tmpdir(), 'troupe-secret-'));

  test('a file: its trailing newline dropped; group/world readable is a warning', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'sixteen-bytes-at-least\r\n');
    chmodSync(file, 0o600);
    const loaded = loadSecret(what, file, undefined);
    expect(loaded.ok && loaded.secret?.warning).toBeNull();
    const same = SecretKey.from('sixteen-bytes-at-least').hmac(Buffer.from('x'));
    expect(loaded.ok && loaded.secret?.key.hmac(Buffer.from('x')).equals(same)).toBe(true);
    chmodSync(file, 0o644);
    const open = loadSecret(what, file, undefined);
    expect(open.ok && open.secret?.warning).toMatch(/readable by others/);
  });

  test('refused: short, unreadable, a directory, both file and environment', () => {
    const short = join(dir, 'short');
    writeFileSync(short, 'short\n');
    expect(loadSecret(what, short, undefined)).toMatchObject({ ok: false });
    expect(loadSecret(what, join(dir, 'none'), undefined)).toMatchObject({ ok: false });
    expect(loadSecret(what, dir, undefined)).toMatchObject({ ok: false });
    const both = loadSecret(what, short, 'sixteen-bytes-at-least');
    expect(both).toMatchObject({ ok: false, reason: expect.stringMatching(/not both/) });
  });

  test('none given: no secret; the environment alone: that secret', () => {
    expect(loadSecret(what, undefined, undefined)).toEqual({ ok: true, secret: null });
    expect(loadSecret(what, undefined, '')).toEqual({ ok: true, secret: null });
    const env = loadSecret(what, undefined, 'sixteen-bytes-at-least');
    expect(env.ok && env.secret?.key).toBeInstanceOf(SecretKey);
  });
});
