// A secret (the cluster secret, the client-token signing key) as an object that cannot leak by
// accident: its bytes sit in a private field and every way a logger or a template string
// could print it (toString, toJSON, util.inspect) yields "[secret]". Also the one place that
// reads a secret from a file or the environment, so node and balancer refuse the same things.
import { createHmac } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { InvalidMessageError } from '../errors.js';

/** Shorter secrets are guessable offline from one recorded handshake. */
export const secretBytesMin = 16;
/** A secret file is a few dozen bytes; a bound keeps a wrong path from reading a disk image. */
export const secretFileBytesMax = 4_096;

export class SecretKey {
  readonly #bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** Throws InvalidMessageError (never naming the value) when shorter than secretBytesMin. */
  static from(value: string | Uint8Array): SecretKey {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    if (bytes.length < secretBytesMin || bytes.length > secretFileBytesMax) {
      throw new InvalidMessageError(
        `a secret must be ${secretBytesMin} to ${secretFileBytesMax} bytes, got ${bytes.length}`,
      );
    }
    return new SecretKey(bytes);
  }

  /** HMAC-SHA256 under this key. */
  hmac(...parts: readonly Uint8Array[]): Buffer {
    const mac = createHmac('sha256', this.#bytes);
    for (const part of parts) mac.update(part);
    return mac.digest();
  }

  toString(): string {
    return '[secret]';
  }

  toJSON(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}

export interface LoadedSecret {
  readonly key: SecretKey;
  /** Set when the file is readable by group or others: worth a warning at start-up. */
  readonly warning: string | null;
}

export type SecretLoad = { ok: true; secret: LoadedSecret | null } | { ok: false; reason: string };

/**
 * The secret from `file` (a path given by a flag) or `envValue` (an environment variable),
 * never from argv, where `ps` would show it. One trailing newline of the file is dropped, as
 * `echo` and editors add one. Both given is refused rather than one silently winning.
 */
export function loadSecret(
  what: { flag: string; env: string },
  file: string | undefined,
  envValue: string | undefined,
): SecretLoad {
  const fromEnv = envValue === undefined || envValue === '' ? undefined : envValue;
  if (file !== undefined && fromEnv !== undefined) {
    return { ok: false, reason: `give ${what.flag} or ${what.env}, not both` };
  }
  if (fromEnv !== undefined) return keyOf(what.env, Buffer.from(fromEnv, 'utf8'), null);
  if (file === undefined) return { ok: true, secret: null };
  let bytes: Buffer;
  let mode: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile() || stat.size > secretFileBytesMax) {
      return { ok: false, reason: `${what.flag} ${file}: not a file of at most 4 KiB` };
    }
    mode = stat.mode;
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { ok: false, reason: `${what.flag} ${file}: cannot read (${String(code)})` };
  }
  const trimmed = stripNewline(bytes);
  const warning =
    (mode & 0o077) === 0 ? null : `${what.flag} ${file} is readable by others: chmod 600 it`;
  return keyOf(`${what.flag} ${file}`, trimmed, warning);
}

function keyOf(source: string, bytes: Buffer, warning: string | null): SecretLoad {
  if (bytes.length < secretBytesMin) {
    return { ok: false, reason: `${source}: the secret must be at least ${secretBytesMin} bytes` };
  }
  return { ok: true, secret: { key: SecretKey.from(bytes), warning } };
}

function stripNewline(bytes: Buffer): Buffer {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  return bytes.subarray(0, end);
}
