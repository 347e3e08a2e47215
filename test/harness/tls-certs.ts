// A throwaway PKI for TLS tests, made with Debian's `openssl` (.ci/run installs it): a CA and
// leaf certificates it signs, each valid for both server and client use and naming
// IP:127.0.0.1 and DNS:localhost, so hostname verification stays on. ECDSA P-256 keeps the
// generation fast. Everything lives in one temp dir the caller removes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestCa extends CertFiles {
  readonly name: string;
  /** The CA certificate, PEM. */
  readonly pem: string;
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'troupe-tls-'));

  /** A self-signed CA. */
  ca(name: string): TestCa {
    const certFile = join(this.dir, `${name}.crt`);
    const keyFile = join(this.dir, `${name}.key`);
    openssl([
      ...['req', '-x509', ...keyArgs, '-keyout', keyFile, '-out', certFile, '-days', '2'],
      ...['-subj', `/CN=${name}`],
      ...['-addext', 'basicConstraints=critical,CA:TRUE'],
      ...['-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ]);
    return { name, certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
  }

  /** A leaf signed by `ca`, for `sans` (default: 127.0.0.1 and localhost). */
  leaf(ca: TestCa, name: string, sans = ['IP:127.0.0.1', 'DNS:localhost']): CertFiles {
    const certFile = join(this.dir, `${name}.crt`);
    const keyFile = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(
      ext,
      [
        `subjectAltName=${sans.join(',')}`,
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth,clientAuth',
      ].join('\n'),
    );
    openssl(['req', ...keyArgs, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`]);
    openssl([
      ...['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile],
      ...['-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext],
    ]);
    return { certFile, keyFile };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** PEM text of a file, for in-process options. */
export const pem = (file: string): string => readFileSync(file, 'utf8');
