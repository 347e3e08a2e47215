// Runs the startup verification scan (verify-child.mjs) in a child process and turns its
// verdict into a DataDirError. Why a child: lmdb may crash the process on a corrupt page
// instead of throwing (see verify-child.mjs), and a crash at startup must become a refusal
// with a reason, not a dead node. Reading everything once is the only way to refuse corrupt
// data before serving it; the cost is about a second per million records (see tests).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assert } from '@troupe/runtime/assert';
import { DataDirError } from './errors.js';

const childScript = fileURLToPath(new URL('./verify-child.mjs', import.meta.url));
const reportBytesMax = 64 * 1024;

export interface VerifyReport {
  readonly records: number;
  readonly bytes: number;
  readonly elapsedMs: number;
}

interface ChildReport {
  readonly ok: boolean;
  readonly records?: number;
  readonly bytes?: number;
  readonly elapsedMs?: number;
  readonly db?: string;
  readonly key?: string;
  readonly problem?: string;
}

/**
 * Reads every record of `file` in a child process. `truncation` describes a file shorter than
 * its meta page says, or is null: the pages it lacks may all be free (legal), and the scan
 * tells whether any page in use is among them.
 */
export function verifyStore(file: string, truncation: string | null): VerifyReport {
  const result = spawnSync(process.execPath, [childScript, file], {
    encoding: 'utf8',
    maxBuffer: reportBytesMax,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = truncation === null ? '' : `truncated (${truncation}); `;
  if (result.error !== undefined) {
    throw new DataDirError(file, `${prefix}the verifier did not run`, { cause: result.error });
  }
  if (result.signal !== null) {
    const problem = `the verification scan died of ${result.signal}: a page is corrupt or missing`;
    throw new DataDirError(file, prefix + problem);
  }
  const report = parseReport(result.stdout);
  if (report === null || !report.ok) {
    throw new DataDirError(file, prefix + describeFailure(report, result.stderr));
  }
  assert(result.status === 0, () => `verifier said ok but exited ${result.status}`);
  return {
    records: report.records ?? 0,
    bytes: report.bytes ?? 0,
    elapsedMs: report.elapsedMs ?? 0,
  };
}

function parseReport(stdout: string): ChildReport | null {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === 'object' && parsed !== null && 'ok' in parsed
      ? (parsed as ChildReport)
      : null;
  } catch {
    return null;
  }
}

function describeFailure(report: ChildReport | null, stderr: string): string {
  if (report === null) return `the verifier failed: ${stderr.trim().slice(0, 300) || 'no report'}`;
  const problem = report.problem ?? 'unknown problem';
  if (report.db === undefined) return problem;
  return report.key === undefined
    ? `db ${report.db}: ${problem}`
    : `record ${report.db} ${report.key}: ${problem}`;
}
