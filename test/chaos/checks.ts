// Every check the chaos harness runs on a history, in one place so a live run and a saved
// history (`pnpm chaos --check FILE`) get the same verdicts: per-key linearizability of
// values (with the smallest failing window on a violation), versions that never go back and
// compare-and-sets that succeeded only on the current version, and every acknowledged write
// visible to the final reads.
import type { HistoryEvent } from '../sim/checkers/history.js';
import { kvModel } from '../sim/checkers/kv-model.js';
import { checkLinearizable } from '../sim/checkers/linearizability.js';
import { smallestFailingWindow } from './failing-window.js';
import {
  casViolations,
  finalReadsFromEvents,
  forLinearizability,
  lostWrites,
  versionOrderViolations,
} from './real-versions.js';
import type { CheckVerdicts } from './report-types.js';
import { finalProcess } from './workload.js';

export function checkHistory(events: readonly HistoryEvent[]): CheckVerdicts {
  const startMs = performance.now();
  const ops = forLinearizability(events);
  const verdict = checkLinearizable(ops, kvModel);
  const lost = lostWrites(events, finalReadsFromEvents(events, finalProcess));
  const versions = [...versionOrderViolations(events), ...casViolations(events)];
  const common = { lostWrites: lost, versionOrderViolations: versions };
  if (verdict.ok === true) {
    return { linearizable: 'ok', ...common, checkMs: performance.now() - startMs };
  }
  if (verdict.ok === 'unknown') {
    const detail = `key ${verdict.key}: ${verdict.reason}`;
    return { linearizable: 'unknown', detail, ...common, checkMs: performance.now() - startMs };
  }
  const window = smallestFailingWindow(ops, verdict, kvModel);
  return {
    linearizable: 'violation',
    detail: verdict.explanation,
    failingWindow: window.lines,
    ...common,
    checkMs: performance.now() - startMs,
  };
}

/** True when every check passed. */
export function passed(checks: CheckVerdicts): boolean {
  return (
    checks.linearizable === 'ok' &&
    checks.lostWrites.length === 0 &&
    checks.versionOrderViolations.length === 0
  );
}
