// Renders a chaos run's report as one self-contained HTML page: inline CSS and SVG only, no
// script and no external URL, so the file can be archived by CI and opened anywhere offline.
// Numbers are formatted with toFixed/String only, so the page is identical on every locale.
import type {
  AvailabilityRow,
  ChaosReport,
  CheckVerdicts,
  FaultRecord,
  LatencyRow,
  LeaderChange,
  MeasuredAvailability,
  SecondBucket,
} from './report-types.js';

/** Longest list of lost writes or version-order violations shown before "and N more". */
const LIST_CAP = 50;

/** Timeline geometry in SVG user units (px at 100% zoom). */
const CHART = {
  widthPx: 1000,
  heightPx: 320,
  leftPx: 56,
  rightPx: 56,
  topPx: 24,
  bottomPx: 38,
} as const;

/** One hue per fault kind, in order of first appearance; readable on light and dark. */
const FAULT_COLOURS = [
  '#e8590c',
  '#7048e8',
  '#0c8599',
  '#d6336c',
  '#5c940d',
  '#1971c2',
  '#f08c00',
  '#868e96',
] as const;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

// ---------------------------------------------------------------------------------------------
// Number formatting (locale-independent)

function fixed(value: number, decimals: number): string {
  if (!Number.isFinite(value)) return '—';
  const text = value.toFixed(decimals);
  // toFixed keeps the sign of tiny negatives ("-0.00"), which reads as a bug in a report.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/**
 * A ratio as a percentage with 2 decimals, or 4 when 2 would round a value that is not exactly
 * 0 or 1 to "0.00%" or "100.00%" — availability near 100% is exactly where the digits matter.
 */
export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '—';
  const short = fixed(ratio * 100, 2);
  const hidesDifference = (short === '100.00' && ratio !== 1) || (short === '0.00' && ratio !== 0);
  return `${hidesDifference ? fixed(ratio * 100, 4) : short}%`;
}

function seconds(ms: number, decimals: number): string {
  return fixed(ms / 1000, decimals);
}

/** SVG coordinates to 0.1 px: enough precision, and keeps long runs' paths short. */
function px(value: number): string {
  return fixed(value, 1);
}

// ---------------------------------------------------------------------------------------------
// Page

const CSS = [
  ':root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;',
  '--panel:#f6f8fa;--good:#1a7f37;--bad:#cf222e;--warn:#9a6700;--served:#0969da;',
  '--errors:#cf222e;--ratio:#8250df;--leader:#1f2328}',
  '@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;',
  '--line:#3d444d;--panel:#151b23;--good:#3fb950;--bad:#f85149;--warn:#d29922;',
  '--served:#4493f8;--errors:#f85149;--ratio:#ab7df8;--leader:#e6edf3}}',
  '*{box-sizing:border-box}',
  'body{margin:0;background:var(--bg);color:var(--fg);',
  'font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'main{max-width:1080px;margin:0 auto;padding:24px 20px 48px}',
  'h1{font-size:1.6em;margin:0 0 .4em}h2{font-size:1.15em;margin:2em 0 .6em}',
  'code,pre{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}',
  'pre{background:var(--panel);border:1px solid var(--line);border-radius:6px;',
  'padding:10px 12px;overflow-x:auto;white-space:pre-wrap;word-break:break-word}',
  'dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}',
  'dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}',
  '.verdict{font-size:1.35em;font-weight:600;margin:18px 0 0;padding:10px 14px;',
  'border:2px solid;border-radius:8px}',
  '.verdict.pass{color:var(--good);background:rgba(46,160,67,.1)}',
  '.verdict.fail{color:var(--bad);background:rgba(248,81,73,.1)}',
  '.verdict.inconclusive{color:var(--warn);background:rgba(210,153,34,.1)}',
  '.verdict .sep{color:var(--muted);font-weight:400}',
  'table{border-collapse:collapse;width:100%}table.compact{width:auto;min-width:50%}',
  'td:first-child{white-space:nowrap}',
  'th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;',
  'vertical-align:top}',
  'th{color:var(--muted);font-weight:600}',
  'td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}',
  '.muted{color:var(--muted)}.small{font-size:.85em}',
  '.bar{display:inline-block;height:8px;border-radius:2px;background:var(--served);',
  'vertical-align:middle;margin-right:8px}',
  '.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;',
  'vertical-align:-1px;margin-right:5px}',
  '.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:6px 0 0;padding:0;list-style:none}',
  'svg.timeline{display:block;width:100%;height:auto;max-width:1000px}',
  'svg .grid{stroke:var(--line);stroke-width:1}',
  'svg .frame{fill:none;stroke:var(--muted);stroke-width:1}',
  'svg text{fill:var(--muted);font-size:11px;font-family:inherit}',
  'svg .served{fill:var(--served);fill-opacity:.3;stroke:var(--served);stroke-width:1}',
  'svg .errors{fill:var(--errors);fill-opacity:.55;stroke:var(--errors);stroke-width:1}',
  'svg .ratio{fill:none;stroke:var(--ratio);stroke-width:1.3}',
  'svg .leader{fill:var(--leader)}',
  'ul.items{margin:.3em 0;padding-left:1.4em;columns:24em auto;column-gap:2em}',
  'footer{margin-top:2.5em;color:var(--muted)}',
  'a{color:var(--served)}',
].join('');

/** The whole page for one chaos run. */
export function renderReportHtml(report: ChaosReport): string {
  const title = `Troupe chaos run — ${report.startedAt}`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    renderHeader(report),
    renderTimelineSection(report),
    renderAvailability(report.availability),
    renderLatency(report.latency),
    renderReachable(report.reachableFraction),
    renderFaults(report.faults),
    renderChecks(report),
    renderFooter(report.historyFile),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Header and verdict

function renderHeader(report: ChaosReport): string {
  const { machine, options } = report;
  const nemesis = options.nemesis.length > 0 ? options.nemesis.join(', ') : 'none';
  const facts: Array<[string, string]> = [
    ['started', escapeHtml(report.startedAt)],
    ['command', `<code>${escapeHtml(report.command)}</code>`],
    ['machine', escapeHtml(`${machine.cpus} × ${machine.cpuModel} · Node.js ${machine.node}`)],
    [
      'options',
      escapeHtml(
        `time ${options.timeS} s · nemesis ${nemesis} · clients ${options.clients} · ` +
          `nodes ${options.nodes} · balancers ${options.balancers} · seed ${options.seed}`,
      ),
    ],
    ['duration', `${seconds(report.durationMs, 1)} s`],
  ];
  const rows = facts.map(([name, value]) => `<dt>${name}</dt><dd>${value}</dd>`).join('');
  return [
    '<header>',
    '<h1>Troupe chaos run</h1>',
    `<dl class="facts">${rows}</dl>`,
    renderVerdict(report.checks),
    '</header>',
  ].join('\n');
}

type VerdictStatus = 'pass' | 'fail' | 'inconclusive';

/**
 * Red when any check found a problem; amber when none did but linearizability could not be
 * decided — showing that green would claim a pass nobody established.
 */
function verdictStatus(checks: CheckVerdicts): VerdictStatus {
  const failed =
    checks.linearizable === 'violation' ||
    checks.lostWrites.length > 0 ||
    checks.versionOrderViolations.length > 0;
  if (failed) return 'fail';
  return checks.linearizable === 'unknown' ? 'inconclusive' : 'pass';
}

function renderVerdict(checks: CheckVerdicts): string {
  const status = verdictStatus(checks);
  const mark = { pass: '✔ PASS', fail: '✘ FAIL', inconclusive: '? INCONCLUSIVE' }[status];
  const parts = [
    `linearizable: ${checks.linearizable}`,
    `acknowledged writes lost: ${checks.lostWrites.length}`,
    `version or CAS violations: ${checks.versionOrderViolations.length}`,
  ];
  const sep = '<span class="sep"> · </span>';
  return `<p class="verdict ${status}">${mark}${sep}${parts.join(sep)}</p>`;
}

// ---------------------------------------------------------------------------------------------
// Timeline

interface SecondPoint {
  readonly second: number;
  readonly servedPerS: number;
  readonly errorsPerS: number;
  readonly successRatio: number;
}

interface Scale {
  readonly spanS: number;
  readonly maxPerS: number;
  readonly stepPerS: number;
  readonly stepS: number;
  readonly x: (second: number) => number;
  readonly y: (perS: number) => number;
  readonly yRatio: (ratio: number) => number;
}

function toPoints(buckets: readonly SecondBucket[]): SecondPoint[] {
  const points = buckets.map((bucket) => {
    let servedPerS = 0;
    let errorsPerS = 0;
    for (const counts of Object.values(bucket.byKind)) {
      if (counts === undefined) continue;
      servedPerS += counts.ok;
      errorsPerS += counts.failed + counts.unknown;
    }
    return { second: bucket.second, servedPerS, errorsPerS, successRatio: bucket.successRatio };
  });
  return points.sort((a, b) => a.second - b.second);
}

/** 1, 2 or 5 times a power of ten: tick steps people read without effort. */
function niceStep(roughStep: number): number {
  if (!(roughStep > 0) || !Number.isFinite(roughStep)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(roughStep));
  const residual = roughStep / magnitude;
  const factor = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10;
  return factor * magnitude;
}

function makeScale(report: ChaosReport, points: readonly SecondPoint[]): Scale {
  const lastSecond = points.length > 0 ? (points[points.length - 1]?.second ?? 0) + 1 : 0;
  const spanS = Math.max(1, report.durationMs / 1000, lastSecond);
  const peakPerS = Math.max(1, ...points.map((p) => Math.max(p.servedPerS, p.errorsPerS)));
  // Whole operations per second: a step below 1 would only label fractions nobody can see.
  const stepPerS = Math.max(1, niceStep(peakPerS / 5));
  const maxPerS = Math.ceil(peakPerS / stepPerS) * stepPerS;
  const plotW = CHART.widthPx - CHART.leftPx - CHART.rightPx;
  const plotH = CHART.heightPx - CHART.topPx - CHART.bottomPx;
  const bottom = CHART.topPx + plotH;
  return {
    spanS,
    maxPerS,
    stepPerS,
    stepS: Math.max(1, niceStep(spanS / 12)),
    x: (second) => CHART.leftPx + (Math.min(Math.max(second, 0), spanS) / spanS) * plotW,
    y: (perS) => bottom - (perS / maxPerS) * plotH,
    yRatio: (ratio) => bottom - Math.min(Math.max(ratio, 0), 1) * plotH,
  };
}

/** Kind → colour, in order of first appearance so the same run always gets the same colours. */
function faultColours(faults: readonly FaultRecord[]): Map<string, string> {
  const colours = new Map<string, string>();
  for (const fault of faults) {
    if (colours.has(fault.kind)) continue;
    colours.set(fault.kind, FAULT_COLOURS[colours.size % FAULT_COLOURS.length] ?? '#888');
  }
  return colours;
}

function renderTimelineSection(report: ChaosReport): string {
  const points = toPoints(report.perSecond);
  const scale = makeScale(report, points);
  const colours = faultColours(report.faults);
  const svg = [
    `<svg class="timeline" viewBox="0 0 ${CHART.widthPx} ${CHART.heightPx}"`,
    ` width="${CHART.widthPx}" height="${CHART.heightPx}" role="img"`,
    ' aria-label="Operations per second over the run, with fault windows">',
    renderGrid(scale),
    renderFaultWindows(report.faults, colours, scale),
    renderSeries(points, scale),
    renderLeaderMarkers(report.leaderChanges, scale),
    renderAxes(scale),
    '</svg>',
  ].join('\n');
  return ['<section>', '<h2>Timeline</h2>', svg, renderLegend(colours), '</section>'].join('\n');
}

function renderGrid(scale: Scale): string {
  const lines: string[] = [];
  const x0 = px(scale.x(0));
  const x1 = px(scale.x(scale.spanS));
  for (let perS = 0; perS <= scale.maxPerS; perS += scale.stepPerS) {
    const y = px(scale.y(perS));
    lines.push(`<line class="grid" x1="${x0}" y1="${y}" x2="${x1}" y2="${y}"/>`);
  }
  // The frame goes under the series: a 100% success line along the top edge must stay visible.
  const top = scale.y(scale.maxPerS);
  const width = px(scale.x(scale.spanS) - scale.x(0));
  const height = px(scale.y(0) - top);
  lines.push(`<rect class="frame" x="${x0}" y="${px(top)}" width="${width}" height="${height}"/>`);
  return `<g>${lines.join('')}</g>`;
}

function renderFaultWindows(
  faults: readonly FaultRecord[],
  colours: ReadonlyMap<string, string>,
  scale: Scale,
): string {
  const top = px(scale.y(scale.maxPerS));
  const height = px(scale.y(0) - scale.y(scale.maxPerS));
  const rects = faults.map((fault) => {
    const x = scale.x(fault.startMs / 1000);
    // A fault shorter than a pixel still gets a visible sliver: it happened.
    const width = Math.max(1, scale.x(fault.endMs / 1000) - x);
    const label =
      `${fault.kind} ${fault.target} ` +
      `(${seconds(fault.startMs, 2)} s – ${seconds(fault.endMs, 2)} s)`;
    return (
      `<rect class="fault" x="${px(x)}" y="${top}" width="${px(width)}" height="${height}"` +
      ` fill="${colours.get(fault.kind) ?? '#888'}" fill-opacity="0.2">` +
      `<title>${escapeHtml(label)}</title></rect>`
    );
  });
  return `<g>${rects.join('\n')}</g>`;
}

/**
 * A step outline over whole seconds, dropping to the baseline across missing seconds so a gap
 * in the data never looks like a steady rate.
 */
function stepPoints(
  points: readonly SecondPoint[],
  value: (point: SecondPoint) => number,
): Array<[number, number]> {
  const steps: Array<[number, number]> = [];
  let previous: number | undefined;
  for (const point of points) {
    if (previous !== undefined && point.second !== previous + 1) {
      steps.push([previous + 1, Number.NaN], [point.second, Number.NaN]);
    }
    steps.push([point.second, value(point)], [point.second + 1, value(point)]);
    previous = point.second;
  }
  return steps;
}

function areaPath(steps: ReadonlyArray<[number, number]>, scale: Scale): string {
  const first = steps[0];
  const last = steps[steps.length - 1];
  if (first === undefined || last === undefined) return '';
  const baseline = px(scale.y(0));
  const line = steps.map(
    ([s, v]) => `L${px(scale.x(s))} ${Number.isNaN(v) ? baseline : px(scale.y(v))}`,
  );
  const start = `M${px(scale.x(first[0]))} ${baseline}`;
  return `${start}${line.join('')}L${px(scale.x(last[0]))} ${baseline}Z`;
}

function ratioPath(points: readonly SecondPoint[], scale: Scale): string {
  const parts: string[] = [];
  let previous: number | undefined;
  for (const point of points) {
    const command = previous === point.second - 1 ? 'L' : 'M';
    const y = px(scale.yRatio(point.successRatio));
    parts.push(`${command}${px(scale.x(point.second))} ${y}`);
    parts.push(`L${px(scale.x(point.second + 1))} ${y}`);
    previous = point.second;
  }
  return parts.join('');
}

function renderSeries(points: readonly SecondPoint[], scale: Scale): string {
  if (points.length === 0) return '';
  const served = areaPath(
    stepPoints(points, (p) => p.servedPerS),
    scale,
  );
  const errors = areaPath(
    stepPoints(points, (p) => p.errorsPerS),
    scale,
  );
  const ratio = ratioPath(points, scale);
  // Errors are drawn over the served area from the same baseline, so a handful of failures
  // stays visible beside thousands of successes instead of being a hairline on top of them.
  return [
    `<path class="served" d="${served}"><title>served ops/s</title></path>`,
    `<path class="errors" d="${errors}"><title>failed + unknown ops/s</title></path>`,
    `<path class="ratio" d="${ratio}"><title>success ratio per second</title></path>`,
  ].join('\n');
}

function renderLeaderMarkers(changes: readonly LeaderChange[], scale: Scale): string {
  const tipY = CHART.topPx - 2;
  const markers = changes
    .filter((change) => change.leader !== null)
    .map((change) => {
      const x = scale.x(change.timeMs / 1000);
      const baseY = px(tipY - 8);
      const shape = `${px(x - 4)},${baseY} ${px(x + 4)},${baseY} ${px(x)},${px(tipY)}`;
      const label = `shard ${change.shard} term ${change.term} → ${change.leader ?? ''}`;
      return (
        `<polygon class="leader" points="${shape}">` +
        `<title>${escapeHtml(label)}</title></polygon>`
      );
    });
  return `<g>${markers.join('\n')}</g>`;
}

function renderAxes(scale: Scale): string {
  const bottom = scale.y(0);
  const left = scale.x(0);
  const right = scale.x(scale.spanS);
  const labels: string[] = [];
  for (let s = 0; s <= scale.spanS + 1e-9; s += scale.stepS) {
    const x = px(scale.x(s));
    labels.push(
      `<line class="frame" x1="${x}" y1="${px(bottom)}" x2="${x}" y2="${px(bottom + 4)}"/>`,
      `<text x="${x}" y="${px(bottom + 16)}" text-anchor="middle">${s}</text>`,
    );
  }
  for (let perS = 0; perS <= scale.maxPerS; perS += scale.stepPerS) {
    const y = px(scale.y(perS) + 4);
    labels.push(`<text x="${px(left - 6)}" y="${y}" text-anchor="end">${perS}</text>`);
  }
  for (const pct of [0, 25, 50, 75, 100]) {
    const y = px(scale.yRatio(pct / 100) + 4);
    labels.push(`<text x="${px(right + 6)}" y="${y}">${pct}%</text>`);
  }
  const titles = [
    `<text x="${px((left + right) / 2)}" y="${CHART.heightPx - 4}" text-anchor="middle">`,
    'seconds since the workload started</text>',
    `<text x="${px(left)}" y="${CHART.topPx - 12}" text-anchor="end">ops/s</text>`,
    `<text x="${px(right)}" y="${CHART.topPx - 12}">success</text>`,
  ].join('');
  return `<g>${labels.join('')}${titles}</g>`;
}

function swatch(colour: string, opacity: number): string {
  return `<span class="swatch" style="background:${colour};opacity:${opacity}"></span>`;
}

function renderLegend(colours: ReadonlyMap<string, string>): string {
  const items = [
    `${swatch('var(--served)', 0.6)}served ops/s`,
    `${swatch('var(--errors)', 0.8)}failed + unknown ops/s`,
    `${swatch('var(--ratio)', 1)}success ratio (right axis)`,
    '<span class="muted">▼</span> leader elected (hover for shard, term, node)',
  ];
  for (const [kind, colour] of colours) {
    items.push(`${swatch(colour, 0.45)}fault: ${escapeHtml(kind)}`);
  }
  return `<ul class="legend small">${items.map((item) => `<li>${item}</li>`).join('')}</ul>`;
}

// ---------------------------------------------------------------------------------------------
// Tables

/** Columns from numFrom on are numbers: right-aligned, tabular digits. */
function tableHtml(
  head: readonly string[],
  rows: readonly string[][],
  numFrom: number,
  className?: string,
): string {
  const cell = (tag: string, index: number, html: string): string =>
    index >= numFrom ? `<${tag} class="num">${html}</${tag}>` : `<${tag}>${html}</${tag}>`;
  const headRow = head.map((text, i) => cell('th', i, escapeHtml(text))).join('');
  const body =
    rows.length > 0
      ? rows.map((row) => `<tr>${row.map((html, i) => cell('td', i, html)).join('')}</tr>`)
      : [`<tr><td class="muted" colspan="${head.length}">none</td></tr>`];
  return [
    className === undefined ? '<table>' : `<table class="${className}">`,
    `<thead><tr>${headRow}</tr></thead>`,
    '<tbody>',
    ...body,
    '</tbody>',
    '</table>',
  ].join('\n');
}

function measuredCell(measured: MeasuredAvailability): string {
  if (measured.ratio === null) return '—';
  return (
    `${formatPercent(measured.ratio)}<br>` +
    `<span class="muted small">${measured.served} / ${measured.attempted}</span>`
  );
}

function renderAvailability(rows: readonly AvailabilityRow[]): string {
  const head = [
    'kind',
    'formula',
    'during faults',
    'outside faults',
    'overall',
    'predicted (independent p)',
    'predicted (schedule)',
  ];
  const body = rows.map((row) => [
    escapeHtml(row.kind),
    `<span class="small">${escapeHtml(row.formula)}</span>`,
    measuredCell(row.duringFaults),
    measuredCell(row.outsideFaults),
    measuredCell(row.overall),
    formatPercent(row.predictedIndependent),
    formatPercent(row.predictedSchedule),
  ]);
  return [
    '<section>',
    '<h2>Availability: measured vs predicted</h2>',
    tableHtml(head, body, 2),
    '<p class="muted small">Measured as served / attempted operations invoked in the window; ',
    'failed and unknown outcomes count as not served.</p>',
    '</section>',
  ].join('\n');
}

function milliseconds(ms: number | null): string {
  return ms === null ? '—' : fixed(ms, ms < 10 ? 1 : 0);
}

function renderLatency(rows: readonly LatencyRow[]): string {
  const head = ['operations', 'completed', 'unknown', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms'];
  const body = rows.map((row) => [
    escapeHtml(row.label),
    String(row.completed),
    String(row.unknown),
    milliseconds(row.p50Ms),
    milliseconds(row.p99Ms),
    milliseconds(row.p999Ms),
    milliseconds(row.maxMs),
  ]);
  return [
    '<section>',
    '<h2>Latency: what a fault costs the clients</h2>',
    tableHtml(head, body, 1),
    '<p class="muted small">From invoke to answer, by when the operation was invoked; ',
    'an operation waiting out a failover is served late, not lost.</p>',
    '</section>',
  ].join('\n');
}

function renderReachable(fractions: Readonly<Record<string, number>>): string {
  // Insertion order: the report lists nodes then balancers, which reads better than a sort.
  const body = Object.entries(fractions).map(([name, fraction]) => {
    const widthPx = Math.round(Math.min(Math.max(fraction, 0), 1) * 160);
    return [
      escapeHtml(name),
      `<span class="bar" style="width:${widthPx}px"></span>${formatPercent(fraction)}`,
    ];
  });
  return [
    '<section>',
    '<h2>Reachable fraction of run time</h2>',
    tableHtml(['process', 'reachable'], body, 1, 'compact'),
    '</section>',
  ].join('\n');
}

function renderFaults(faults: readonly FaultRecord[]): string {
  const colours = faultColours(faults);
  const body = faults.map((fault) => {
    const down = [...fault.nodesDown, ...fault.balancersDown];
    return [
      `${swatch(colours.get(fault.kind) ?? '#888', 0.45)}${escapeHtml(fault.kind)}`,
      escapeHtml(fault.target),
      down.length > 0 ? escapeHtml(down.join(' ')) : '<span class="muted">—</span>',
      seconds(fault.startMs, 2),
      seconds(fault.endMs, 2),
      seconds(fault.endMs - fault.startMs, 2),
    ];
  });
  const head = ['kind', 'target', 'unreachable', 'start s', 'end s', 'duration s'];
  return ['<section>', '<h2>Faults</h2>', tableHtml(head, body, 3), '</section>'].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Checks and footer

function cappedList(title: string, items: readonly string[]): string {
  if (items.length === 0) return `<p>${escapeHtml(title)}: none</p>`;
  const shown = items.slice(0, LIST_CAP).map((item) => `<li><code>${escapeHtml(item)}</code></li>`);
  if (items.length > LIST_CAP) {
    shown.push(`<li class="muted">and ${items.length - LIST_CAP} more</li>`);
  }
  const heading = `<p>${escapeHtml(title)} (${items.length}):</p>`;
  return [heading, '<ul class="items">', ...shown, '</ul>'].join('\n');
}

function renderChecks(report: ChaosReport): string {
  const { counts, checks } = report;
  const countRow = [counts.invoked, counts.ok, counts.fail, counts.info].map(String);
  const parts = [
    '<section>',
    '<h2>Checks</h2>',
    tableHtml(
      ['invoked', 'ok', 'fail', 'info (unknown)', 'check time s'],
      [[...countRow, seconds(checks.checkMs, 2)]],
      0,
      'compact',
    ),
    renderVerdict(checks),
  ];
  if (checks.detail !== undefined) {
    parts.push('<h3>Checker detail</h3>', `<pre>${escapeHtml(checks.detail)}</pre>`);
  }
  if (checks.failingWindow !== undefined && checks.failingWindow.length > 0) {
    parts.push(
      '<h3>Smallest failing window</h3>',
      `<pre>${escapeHtml(checks.failingWindow.join('\n'))}</pre>`,
    );
  }
  parts.push(
    cappedList('Acknowledged writes lost', checks.lostWrites),
    cappedList('Version and CAS violations', checks.versionOrderViolations),
    '</section>',
  );
  return parts.join('\n');
}

function renderFooter(historyFile: string | null): string {
  if (historyFile === null) {
    return '<footer>The operation history (JSONL) is not kept with this copy of the report.</footer>';
  }
  // encodeURI keeps a relative path relative while making spaces and the like valid in href.
  const href = escapeHtml(encodeURI(historyFile));
  return (
    `<footer>Full operation history (JSONL): ` +
    `<a href="${href}">${escapeHtml(historyFile)}</a></footer>`
  );
}
