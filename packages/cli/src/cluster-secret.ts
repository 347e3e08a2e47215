// The cluster secret `troupe up` gives its children: made once per data dir (32 random bytes,
// a file only its owner may read) and passed by path, so even the local cluster's peer links
// are authenticated and the secret never appears on a command line.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const clusterSecretFileName = 'cluster-secret';

/** `<dir>/cluster-secret`, created on first use; its path. */
export function ensureClusterSecret(dir: string): string {
  const file = join(dir, clusterSecretFileName);
  if (!existsSync(file)) {
    // 'wx': a concurrent creator wins and we keep its secret rather than overwrite it.
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    }
  }
  return file;
}
