// TLS for the WebSocket transport: the certificate, key and CA a system listens and dials with,
// read once at start so a missing file fails start (TlsConfigError) rather than the first dial
// minutes later; the server and client options both sides derive from them; and the mapping of
// the TLS library's failures to one typed error (TlsError), so that a peer with the wrong
// certificate reads as "refused" and not as "down, keep waiting".
import { readFileSync } from 'node:fs';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import { PeerUnavailableError, TroupeError } from '../errors.js';

export type Pem = string | Buffer;

/** What a user gives: PEM text or a file for each of cert, key and CA. */
export interface TlsSettings {
  /** This system's certificate chain (PEM): served when listening, presented when dialling. */
  cert?: Pem;
  certFile?: string;
  /** The private key of `cert` (PEM). */
  key?: Pem;
  keyFile?: string;
  /**
   * The CA(s) trusted for peers' certificates (PEM). Without one, dials trust the system's
   * roots only; a cluster with its own CA must give it.
   */
  ca?: Pem;
  caFile?: string;
  /** Mutual TLS: the listener refuses dialers without a certificate signed by `ca`. */
  requireClientCert?: boolean;
}

/** The loaded material, checked once. */
export interface TlsMaterial {
  readonly cert: Pem | undefined;
  readonly key: Pem | undefined;
  readonly ca: Pem | undefined;
  readonly requireClientCert: boolean;
}

/** A TLS setting that cannot work: an unreadable file, a key that does not match its cert. */
export class TlsConfigError extends TroupeError {
  override readonly name = 'TlsConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_TLS_CONFIG', message, options);
  }
}

/**
 * A TLS handshake failed: the peer's certificate is not trusted or names another host, or the
 * peer refused ours (mutual TLS), or one side does not speak TLS at all. Retrying the same
 * dial will not help until someone changes a certificate.
 */
export class TlsError extends TroupeError {
  override readonly name = 'TlsError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('TROUPE_ERR_TLS', message, options);
  }
}

function pemOf(value: Pem | undefined, file: string | undefined, what: string): Pem | undefined {
  if (value !== undefined && file !== undefined) {
    throw new TlsConfigError(`give the TLS ${what} or its file, not both`);
  }
  let pem: Pem | undefined = value;
  if (file !== undefined) {
    try {
      pem = readFileSync(file);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TlsConfigError(`cannot read the TLS ${what} file ${file}: ${reason}`, {
        cause: error,
      });
    }
  }
  // OpenSSL skips what is not PEM in a CA list: a wrong file would trust nothing, silently.
  if (pem !== undefined && !pem.toString().includes('-----BEGIN ')) {
    throw new TlsConfigError(`the TLS ${what}${file ? ` file ${file}` : ''} is not PEM`);
  }
  return pem;
}

/** Reads the files and checks the material holds together; throws TlsConfigError if not. */
export function loadTls(settings: TlsSettings): TlsMaterial {
  const cert = pemOf(settings.cert, settings.certFile, 'certificate');
  const key = pemOf(settings.key, settings.keyFile, 'key');
  const ca = pemOf(settings.ca, settings.caFile, 'CA');
  const requireClientCert = settings.requireClientCert === true;
  if ((cert === undefined) !== (key === undefined)) {
    throw new TlsConfigError('a TLS certificate needs its key, and a key its certificate');
  }
  if (requireClientCert && ca === undefined) {
    throw new TlsConfigError('requiring client certificates needs the CA that signs them');
  }
  try {
    // Parses every PEM and checks that the key belongs to the certificate, now, not at the
    // first connection.
    createSecureContext({ cert, key, ca });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TlsConfigError(`unusable TLS certificate, key or CA: ${reason}`, { cause: error });
  }
  return { cert, key, ca, requireClientCert };
}

/** The https server's options for a listener. */
export function listenTlsOptions(tls: TlsMaterial): HttpsServerOptions {
  if (tls.cert === undefined || tls.key === undefined) {
    throw new TlsConfigError('listening with TLS needs a certificate and its key');
  }
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    requestCert: tls.requireClientCert,
    rejectUnauthorized: tls.requireClientCert,
    minVersion: 'TLSv1.2',
  };
}

/** What a `wss://` dial trusts (`ca`) and presents (`cert`/`key`, for mutual TLS). */
export interface DialTlsOptions {
  ca?: Pem;
  cert?: Pem;
  key?: Pem;
  minVersion: 'TLSv1.2';
}

export function dialTlsOptions(tls: TlsMaterial | undefined): DialTlsOptions {
  // Without TLS settings a wss:// URL still works against the system's roots.
  if (tls === undefined) return { minVersion: 'TLSv1.2' };
  return {
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    minVersion: 'TLSv1.2',
  };
}

/**
 * Member URLs are addresses (`ws://host:port`, kept so in the replicated cluster state); a
 * system with TLS dials every one of them over `wss://`, so one setting covers every link.
 */
export function dialUrlFor(url: string, tls: TlsMaterial | undefined): string {
  return tls !== undefined && url.startsWith('ws://') ? `wss://${url.slice('ws://'.length)}` : url;
}

const verifyCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

/** Node's words when the peer hangs up mid-handshake: most often, it does not speak TLS. */
const notTlsMessage = 'before secure TLS connection was established';

/** True for the errors Node's TLS layer raises for a failed handshake or verification. */
export function isTlsFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  if (code === 'ECONNRESET') return error.message.includes(notTlsMessage);
  return verifyCodes.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_');
}

/** A dial's error, as TlsError when TLS is what failed (the TLS error is kept as `cause`). */
export function asTlsError(error: unknown, url: string): unknown {
  if (!(error instanceof PeerUnavailableError) || !isTlsFailure(error.cause)) return error;
  const cause = error.cause as Error & { code: string };
  return new TlsError(`TLS handshake with ${url} failed: ${cause.code}: ${cause.message}`, {
    cause,
  });
}

/** The values of a process's TLS flags (`--tls-cert`, `--tls-key`, `--tls-ca`, ...). */
export interface TlsFlagValues {
  readonly cert: string | undefined;
  readonly key: string | undefined;
  readonly ca: string | undefined;
  readonly clientAuth: boolean;
}

/**
 * TLS flags -> settings, null when none is given. `prefix` names the flags in errors
 * (`--tls`, `--client-tls`); `listens` demands a certificate, which a listener cannot do
 * without. Files are read later, at start (loadTls).
 */
export function tlsFromFlags(
  flags: TlsFlagValues,
  prefix: string,
  listens: boolean,
): TlsSettings | null {
  const { cert, key, ca, clientAuth } = flags;
  if (cert === undefined && key === undefined && ca === undefined && !clientAuth) return null;
  if ((cert === undefined) !== (key === undefined)) {
    throw new TlsConfigError(`${prefix}-cert and ${prefix}-key go together`);
  }
  if (listens && cert === undefined) {
    throw new TlsConfigError(`TLS on a listener needs ${prefix}-cert and ${prefix}-key`);
  }
  if (clientAuth && ca === undefined) {
    throw new TlsConfigError(`${prefix}-client-auth needs ${prefix}-ca (the CA of the clients)`);
  }
  return {
    ...(cert === undefined ? {} : { certFile: cert }),
    ...(key === undefined ? {} : { keyFile: key }),
    ...(ca === undefined ? {} : { caFile: ca }),
    requireClientCert: clientAuth,
  };
}
