// `troupe token create`: signs a client token with the balancer's token key (the same file a
// balancer reads with --client-token-key-file), so an operator can hand an application a
// credential that expires and, optionally, is limited to a key prefix or to reads. Also where
// the kv and bench commands find the token they present (--token, else TROUPE_CLIENT_TOKEN).
import type { ClientOptions } from '@troupe/client';
import { loadSecret } from '@troupe/runtime';
import {
  signClientToken,
  tokenKeyPrefixBytesMax,
  tokenSubjectCharsMax,
} from '@troupe/runtime/internal';
import { UsageError } from './errors.js';
import type { Out } from './output.js';

export interface TokenCommand {
  readonly kind: 'token';
  readonly keyFile: string;
  readonly ttlMs: number;
  readonly subject: string;
  readonly prefix: string | null;
  readonly readOnly: boolean;
  readonly json: boolean;
}

const ttlUnitsMs: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const ttlMsMax = 366 * 86_400_000;
export const defaultTokenTtl = '1h';
export const defaultTokenSubject = 'troupe-cli';

/** `90s`, `15m`, `1h`, `30d`: a token's lifetime in ms, 1 s to 366 days. */
export function ttlFlag(value: string): number {
  const match = /^(\d{1,6})(s|m|h|d)$/.exec(value.trim());
  if (match === null) {
    throw new UsageError(`--ttl must be like 90s, 15m, 1h or 30d, got ${JSON.stringify(value)}`);
  }
  const ms = Number(match[1]) * (ttlUnitsMs[match[2] as string] ?? 1_000);
  if (ms < 1_000 || ms > ttlMsMax) throw new UsageError('--ttl must be 1s to 366d');
  return ms;
}

export function checkTokenClaims(subject: string, prefix: string | null): void {
  if (subject.length === 0 || subject.length > tokenSubjectCharsMax) {
    throw new UsageError(`--subject must be 1 to ${tokenSubjectCharsMax} characters`);
  }
  if (prefix !== null && Buffer.byteLength(prefix) > tokenKeyPrefixBytesMax) {
    throw new UsageError(`--prefix must be at most ${tokenKeyPrefixBytesMax} bytes`);
  }
}

/** Prints the token alone (for `$(troupe token create ...)`), or JSON with its claims. */
export function runToken(command: TokenCommand, out: Out, nowMs = Date.now()): string {
  const what = { flag: '--key-file', env: 'TROUPE_CLIENT_TOKEN_KEY' };
  const loaded = loadSecret(what, command.keyFile, undefined);
  if (!loaded.ok) throw new UsageError(loaded.reason);
  if (loaded.secret === null) throw new UsageError('--key-file is required');
  const iat = Math.floor(nowMs / 1_000);
  const claims = {
    sub: command.subject,
    iat,
    exp: iat + Math.ceil(command.ttlMs / 1_000),
    ...(command.prefix === null ? {} : { prefix: command.prefix }),
    ...(command.readOnly ? { ro: true as const } : {}),
  };
  const token = signClientToken(loaded.secret.key, claims);
  if (command.json) {
    out.line(JSON.stringify({ token, ...claims, expires: new Date(claims.exp * 1_000) }));
  } else {
    out.line(token);
  }
  return token;
}

/** The client token a kv or bench command presents: --token, else TROUPE_CLIENT_TOKEN. */
export function clientToken(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Partial<ClientOptions> {
  const token = flag ?? env.TROUPE_CLIENT_TOKEN;
  return token === undefined || token === '' ? {} : { token };
}
