// The dashboard's static files (packages/balancer/dashboard: a page, a script, a stylesheet),
// read once at start so serving `/` touches no disk, with the headers they go out with. There
// is no build step: the files are served as they are in the repository.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@troupe/runtime';

export interface StaticFile {
  readonly contentType: string;
  readonly body: Buffer;
}

/** Request path -> file name and content type. */
const dashboardFiles: ReadonlyArray<readonly [string, string, string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/dashboard.js', 'dashboard.js', 'text/javascript; charset=utf-8'],
  ['/dashboard.css', 'dashboard.css', 'text/css; charset=utf-8'],
];

export const dashboardDir = fileURLToPath(new URL('../../dashboard/', import.meta.url));

/**
 * The page runs only its own script and stylesheet and talks only to this balancer: no inline
 * code, no other origin, no framing, so a hostile node id or zone shown on it has nowhere to go.
 */
export const dashboardHeaders: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * Reads the dashboard files from `dir`. A missing file is logged and left out (its path then
 * answers 404): the balancer's real work does not depend on the page.
 */
export function loadDashboardFiles(
  logger: Logger,
  dir: string = dashboardDir,
): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const [path, name, contentType] of dashboardFiles) {
    try {
      files.set(path, { contentType, body: readFileSync(join(dir, name)) });
    } catch (error) {
      logger.warn({ file: name, dir, err: error }, 'dashboard file missing; not served');
    }
  }
  return files;
}
