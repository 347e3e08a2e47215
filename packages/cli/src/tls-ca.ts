// The CLI's --tls-ca: the CA file that signed a balancer's certificate when it serves wss://
// and https:// (--client-tls-cert). Read once, up front, so a wrong path is a usage error
// (exit 2) before anything is dialled; clients get it as `tls.ca`, /status requests as the
// https CA. Without it, the system's roots are trusted, as by any HTTPS client.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { ClientOptions } from '@troupe/client';
import { UsageError } from './errors.js';

/** The PEM text of --tls-ca, or undefined when it was not given. */
export function readTlsCa(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--tls-ca: cannot read ${file}: ${reason}`);
  }
}

/** Client options that trust the CA, if one was given. */
export function clientTls(file: string | undefined): Partial<ClientOptions> {
  const ca = readTlsCa(file);
  return ca === undefined ? {} : { tls: { ca } };
}

/**
 * GET over https trusting `ca` (fetch cannot take a CA without an extra package), as a
 * Response so callers handle both the same way.
 */
export function getWithCa(url: string, ca: string, timeoutMs: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode })));
      res.on('error', reject);
    });
    req.on('timeout', () => {
      const error = new Error('timed out');
      error.name = 'TimeoutError';
      req.destroy(error);
    });
    req.on('error', reject);
    req.end();
  });
}
