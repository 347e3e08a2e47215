// `troupe token create`: its flags, refusals as UsageError (exit 2), a token the balancer's
// verifier accepts with exactly the claims asked for, and where kv commands find their token.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretKey } from '@troupe/runtime';
import { verifyClientToken } from '@troupe/runtime/internal';
import { describe, expect, test } from 'vitest';
import { parseCommand } from '../src/args.js';
import { UsageError } from '../src/errors.js';
import type { Out } from '../src/output.js';
import { clientToken, runToken, type TokenCommand } from '../src/token-command.js';

const keyText = 'cli-test-token-signing-key';
const keyFile = join(mkdtempSync(join(tmpdir(), 'troupe-token-')), 'key');
writeFileSync(keyFile, `${keyText}\n`);
chmodSync(keyFile, 0o600);

function capture(): Out & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    line: (text: string) => void lines.push(text),
    error: (text: string) => void lines.push(text),
  } as Out & { lines: string[] };
}

describe('troupe token create', () => {
  test('defaults: one hour, subject troupe-cli, any key, read-write', () => {
    expect(parseCommand(['token', 'create', '--key-file', keyFile])).toEqual({
      kind: 'token',
      keyFile,
      ttlMs: 3_600_000,
      subject: 'troupe-cli',
      prefix: null,
      readOnly: false,
      json: false,
    });
  });

  test('the printed token verifies with the key, with the claims asked for', () => {
    const argv = ['token', 'create', '--key-file', keyFile, '--ttl', '15m', '--prefix', 'user:'];
    const command = parseCommand([...argv, '--read-only', '--subject', 'app']) as TokenCommand;
    const out = capture();
    const nowMs = 1_800_000_000_000;
    const token = runToken(command, out, nowMs);
    expect(out.lines).toEqual([token]);
    expect(verifyClientToken(SecretKey.from(keyText), token, nowMs)).toEqual({
      ok: true,
      claims: { sub: 'app', iat: 1_800_000_000, exp: 1_800_000_900, prefix: 'user:', ro: true },
    });
    expect(verifyClientToken(SecretKey.from(keyText), token, nowMs + 900_000).ok).toBe(false);
  });

  test('--json prints the claims beside the token', () => {
    const command = parseCommand(['token', 'create', '--key-file', keyFile, '--json']);
    const out = capture();
    const token = runToken(command as TokenCommand, out, 1_800_000_000_000);
    expect(JSON.parse(out.lines[0] ?? '')).toMatchObject({ token, sub: 'troupe-cli' });
  });

  test('refusals are UsageErrors', () => {
    for (const argv of [
      ['token'],
      ['token', 'revoke'],
      ['token', 'create'],
      ['token', 'create', '--key-file', keyFile, '--ttl', '1y'],
      ['token', 'create', '--key-file', keyFile, '--ttl', '0s'],
      ['token', 'create', '--key-file', keyFile, '--subject', 's'.repeat(65)],
    ]) {
      let parsed: unknown;
      try {
        parsed = parseCommand(argv);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        continue;
      }
      expect(parsed).toMatchObject({ kind: 'help' });
    }
    const missing = parseCommand(['token', 'create', '--key-file', `${keyFile}.none`]);
    expect(() => runToken(missing as TokenCommand, capture())).toThrow(UsageError);
  });
});

describe('the token kv commands present', () => {
  test('--token, else TROUPE_CLIENT_TOKEN, else none', () => {
    expect(parseCommand(['get', 'k', '--token', 'tr1.a.b'])).toMatchObject({ token: 'tr1.a.b' });
    expect(clientToken('tr1.flag', { TROUPE_CLIENT_TOKEN: 'tr1.env' })).toEqual({
      token: 'tr1.flag',
    });
    expect(clientToken(undefined, { TROUPE_CLIENT_TOKEN: 'tr1.env' })).toEqual({
      token: 'tr1.env',
    });
    expect(clientToken(undefined, {})).toEqual({});
  });
});
