// The chaos report page: one self-contained HTML file with the timeline, the availability and
// fault tables and the checks' verdicts, that loads nothing from anywhere and shows hostile
// strings from the history (keys, checker output) as text, never as markup.
import { describe, expect, test } from 'vitest';
import { escapeHtml, formatPercent, renderReportHtml } from './report-html.js';
import type { ChaosReport, CheckVerdicts, OutcomeCounts } from './report-types.js';

const HOSTILE = '<script>alert("x")</script>';

function outcomes(ok: number, failed: number, unknown: number): OutcomeCounts {
  return { ok, failed, unknown };
}

function passingChecks(): CheckVerdicts {
  return { linearizable: 'ok', lostWrites: [], versionOrderViolations: [], checkMs: 812 };
}

function failingChecks(): CheckVerdicts {
  return {
    linearizable: 'violation',
    detail: `no linearization of key ${HOSTILE}`,
    failingWindow: ['p1 invoke update k1 "1:4"', `p2 ok get k1 ${HOSTILE}`],
    lostWrites: Array.from({ length: 60 }, (_, i) => `k${i} = 3:${i}`),
    versionOrderViolations: ['k2: version 7 after 9'],
    checkMs: 2_345,
  };
}

function sampleReport(checks: CheckVerdicts): ChaosReport {
  return {
    format: 'troupe-chaos-report/1',
    startedAt: '2025-01-02T03:04:05.000Z',
    command: 'pnpm chaos --time 6 --nemesis kill,partition-majority',
    machine: { cpus: 8, cpuModel: 'Test CPU @ 3.0GHz', node: 'v20.20.2' },
    options: {
      timeS: 6,
      nemesis: ['kill', 'partition-majority'],
      clients: 4,
      nodes: 3,
      balancers: 2,
      seed: 42,
    },
    durationMs: 6_000,
    faults: [
      {
        kind: 'kill',
        target: 'n2',
        startMs: 1_500,
        endMs: 3_200,
        nodesDown: ['n2'],
        balancersDown: [],
      },
      {
        kind: 'partition-majority',
        target: 'n1 | n2 n3',
        startMs: 4_000,
        endMs: 5_250,
        nodesDown: ['n1'],
        balancersDown: [],
      },
    ],
    leaderChanges: [
      { timeMs: 100, shard: 0, term: 1, leader: 'n1' },
      { timeMs: 1_600, shard: 0, term: 2, leader: null },
      { timeMs: 2_100, shard: 0, term: 3, leader: 'n2' },
      { timeMs: 4_300, shard: 1, term: 5, leader: 'n3' },
    ],
    perSecond: [0, 1, 2, 3, 4, 5].map((second) => ({
      second,
      byKind: {
        get: outcomes(100 - second * 5, second, 0),
        update: outcomes(50, second % 2, second === 2 ? 3 : 0),
      },
      successRatio: 0.9 + second / 100,
    })),
    reachableFraction: { n1: 0.79, n2: 0.716, n3: 1, b1: 1, b2: 1 },
    availability: [
      {
        kind: 'get',
        formula: 'majority of 3 nodes x any of 2 balancers',
        duringFaults: { attempted: 200, served: 190, ratio: 0.95 },
        outsideFaults: { attempted: 400, served: 400, ratio: 1 },
        overall: { attempted: 600, served: 590, ratio: 590 / 600 },
        predictedIndependent: 0.99996,
        predictedSchedule: 0.97,
      },
      {
        kind: 'delete',
        formula: 'majority of 3 nodes x any of 2 balancers',
        duringFaults: { attempted: 0, served: 0, ratio: null },
        outsideFaults: { attempted: 10, served: 10, ratio: 1 },
        overall: { attempted: 10, served: 10, ratio: 1 },
        predictedIndependent: 0.9,
        predictedSchedule: 0.5,
      },
    ],
    latency: [
      {
        label: 'all operations',
        completed: 895,
        unknown: 5,
        p50Ms: 4.25,
        p99Ms: 48,
        p999Ms: 512.4,
        maxMs: 1_371,
      },
      {
        label: 'during <kill>',
        completed: 0,
        unknown: 0,
        p50Ms: null,
        p99Ms: null,
        p999Ms: null,
        maxMs: null,
      },
    ],
    counts: { invoked: 900, ok: 880, fail: 15, info: 5 },
    checks,
    historyFile: 'history.jsonl',
  };
}

function emptyReport(): ChaosReport {
  return {
    ...sampleReport(passingChecks()),
    durationMs: 0,
    faults: [],
    leaderChanges: [],
    perSecond: [],
    reachableFraction: {},
    availability: [],
    latency: [],
    counts: { invoked: 0, ok: 0, fail: 0, info: 0 },
  };
}

function occurrences(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

describe('renderReportHtml', () => {
  test('is one self-contained page: one inline SVG, nothing fetched, no script', () => {
    const html = renderReportHtml(sampleReport(failingChecks()));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(occurrences(html, /<svg/g)).toBe(1);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/src=/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('<a href="history.jsonl">history.jsonl</a>');
  });

  test('a latency row per part of the run, escaped, with a dash where nothing completed', () => {
    const html = renderReportHtml(sampleReport(passingChecks()));
    expect(html).toContain(
      '<td>all operations</td><td class="num">895</td><td class="num">5</td>' +
        '<td class="num">4.3</td><td class="num">48</td><td class="num">512</td>' +
        '<td class="num">1371</td>',
    );
    expect(html).toContain('<td>during &lt;kill&gt;</td><td class="num">0</td>');
    expect(html).toContain('<td class="num">—</td>');
  });

  test('a report whose history was not kept says so instead of linking', () => {
    const html = renderReportHtml({ ...sampleReport(passingChecks()), historyFile: null });
    expect(html).not.toContain('<a href=');
    expect(html).toContain('not kept with this copy');
  });

  test('shades each fault window and marks each change to a known leader', () => {
    const html = renderReportHtml(sampleReport(passingChecks()));
    expect(occurrences(html, /<rect class="fault"/g)).toBe(2);
    expect(html).toContain('<title>kill n2 (1.50 s – 3.20 s)</title>');
    expect(occurrences(html, /<polygon class="leader"/g)).toBe(3);
    expect(html).toContain('<title>shard 0 term 3 → n2</title>');
    expect(html).toContain('<title>shard 1 term 5 → n3</title>');
  });

  test('lists availability, reachability and faults in tables', () => {
    const html = renderReportHtml(sampleReport(passingChecks()));
    const rows = html.split('\n').filter((line) => line.startsWith('<tr><td>'));
    const getRow = rows.find((row) => row.startsWith('<tr><td>get</td>'));
    expect(getRow).toContain('majority of 3 nodes x any of 2 balancers');
    expect(getRow).toContain('95.00%');
    expect(getRow).toContain('190 / 200');
    expect(getRow).toContain('99.9960%');
    expect(getRow).toContain('97.00%');
    const deleteRow = rows.find((row) => row.startsWith('<tr><td>delete</td>'));
    expect(deleteRow).toContain('<td class="num">—</td>');
    expect(rows.find((row) => row.startsWith('<tr><td>n2</td>'))).toContain('71.60%');
    const faultRow = rows.find((row) => row.includes('partition-majority</td>'));
    expect(faultRow).toContain('<td>n1 | n2 n3</td>');
    expect(faultRow).toContain('<td class="num">4.00</td><td class="num">5.25</td>');
    expect(faultRow).toContain('<td class="num">1.25</td>');
  });

  test('shows a pass in green and a violation in red, with its evidence escaped', () => {
    const pass = renderReportHtml(sampleReport(passingChecks()));
    expect(pass).toContain('<p class="verdict pass">');
    expect(pass).toContain('linearizable: ok');
    expect(pass).toContain('acknowledged writes lost: 0');
    expect(pass).not.toContain('verdict fail');

    const fail = renderReportHtml(sampleReport(failingChecks()));
    expect(fail).toContain('<p class="verdict fail">');
    expect(fail).toContain('linearizable: violation');
    expect(fail).toContain('acknowledged writes lost: 60');
    expect(fail).toContain('version or CAS violations: 1');
    expect(fail).toContain('p2 ok get k1 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(fail).toContain('<li><code>k49 = 3:49</code></li>');
    expect(fail).not.toContain('k50 = 3:50');
    expect(fail).toContain('and 10 more');
  });

  test('an undecided check is neither green nor red', () => {
    const checks: CheckVerdicts = {
      ...passingChecks(),
      linearizable: 'unknown',
      detail: 'timeout',
    };
    const html = renderReportHtml(sampleReport(checks));
    expect(html).toContain('<p class="verdict inconclusive">');
    expect(html).toContain('linearizable: unknown');
  });

  test('an empty run (no seconds, no faults) still renders a page', () => {
    const html = renderReportHtml(emptyReport());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(occurrences(html, /<svg/g)).toBe(1);
    expect(occurrences(html, /<rect class="fault"/g)).toBe(0);
    expect(occurrences(html, /<polygon class="leader"/g)).toBe(0);
    expect(html).not.toContain('NaN');
    expect(html).not.toContain('Infinity');
  });
});

describe('formatting helpers', () => {
  test('escapeHtml escapes markup and both quote kinds', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  test('formatPercent shows more digits only where two would hide a difference', () => {
    expect(formatPercent(1)).toBe('100.00%');
    expect(formatPercent(0)).toBe('0.00%');
    expect(formatPercent(0.95)).toBe('95.00%');
    expect(formatPercent(0.99996)).toBe('99.9960%');
    expect(formatPercent(0.00001)).toBe('0.0010%');
    expect(formatPercent(null)).toBe('—');
  });
});
