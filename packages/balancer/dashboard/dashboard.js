// The balancer's dashboard: polls /status and /activity once a second and redraws the page.
// Every value reaches the page through DOM calls (text nodes and attributes), never as HTML,
// so a node id or zone cannot inject markup; the charts are hand-drawn SVG, so there is no
// library to vendor and nothing to build. The data-testid and data-* attributes are for tests.

const pollMs = 1_000;
const svgNs = 'http://www.w3.org/2000/svg';
const chartWidth = 400;
const chartHeight = 160;
const pad = { left: 40, right: 6, top: 10, bottom: 22 };
const plotWidth = chartWidth - pad.left - pad.right;
const plotHeight = chartHeight - pad.top - pad.bottom;
const leaderBucketMs = 5_000;

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** An HTML element; attributes that are null or undefined are left out, strings become text. */
function el(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(svgNs, tag), attrs, children);
}

function byId(id) {
  return document.getElementById(id);
}

function duration(ms) {
  const seconds = Math.floor(ms / 1_000);
  const hours = Math.floor(seconds / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  if (hours > 0) return `${hours} h ${minutes} min`;
  if (minutes > 0) return `${minutes} min ${seconds % 60} s`;
  return `${seconds} s`;
}

function ago(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  return duration(ms);
}

function millis(ms) {
  if (ms < 10) return ms.toFixed(2);
  return ms < 100 ? ms.toFixed(1) : String(Math.round(ms));
}

/** The smallest 1, 2 or 5 times a power of ten that is at least `value` (and at least 1). */
function niceMax(value) {
  let step = 1;
  for (;;) {
    for (const factor of [1, 2, 5]) if (step * factor >= value) return step * factor;
    step *= 10;
  }
}

/** up, suspected (connected but phi says silent), down (connection closed), gone (moved). */
function nodeState(member) {
  if (member.gone) return 'gone';
  if (member.up) return 'up';
  return member.connected ? 'suspected' : 'down';
}

function renderHeader(status) {
  const items = [
    ['cluster', status.clusterId ?? '—'],
    ['config', `v${status.configVersion}`],
    ['balancer', status.balancerId],
    ['uptime', duration(status.uptimeMs)],
    ['shards', `${status.shardCount} × RF ${status.replicationFactor}`],
    ['clients', `${status.clients.connections} (${status.clients.inflight} in flight)`],
  ];
  if (status.unsafe.length > 0) items.push(['UNSAFE', status.unsafe.join(', ')]);
  byId('cluster').replaceChildren(
    ...items.map(([name, value]) => el('div', {}, el('dt', {}, name), el('dd', {}, value))),
  );
}

/** A closed connection resets the detector, so a down node's phi says nothing. */
function phiText(member, state) {
  if (state === 'down') return '—';
  return member.phi === null ? '∞' : member.phi.toFixed(2);
}

function renderNodes(status) {
  const rows = status.members.map((member) => {
    const state = nodeState(member);
    return el(
      'tr',
      { 'data-testid': `node-${member.id}`, 'data-state': state },
      el('td', {}, member.id),
      el('td', {}, member.zone),
      el('td', {}, el('span', { class: `badge ${state}` }, state)),
      el('td', { class: 'num' }, phiText(member, state)),
      el('td', { class: 'num' }, member.leaders),
      el('td', { class: 'num' }, ago(member.lastHeartbeatAgoMs)),
      el('td', { class: 'num' }, member.requests),
    );
  });
  byId('nodes').replaceChildren(...rows);
}

function replicaChip(replica) {
  let kind = 'chip';
  if (!replica.up) kind = 'chip down';
  else if (!replica.placed) kind = 'chip leaving';
  const role = replica.role ?? 'no heartbeat yet';
  const title = `${role}, commit ${replica.commit ?? '?'}, applied ${replica.applied ?? '?'}`;
  // A replica that is not up last said what it was; that is history, not its role now.
  const text = replica.up
    ? `${replica.node} ${replica.role ?? '?'} (${replica.lag ?? '?'})`
    : `${replica.node} down`;
  return el('span', { class: kind, title }, text);
}

function groupRow(group, replicationFactor, testId) {
  const followers = group.replicas.filter((replica) => replica.node !== group.leader);
  const leader = group.leader === null ? el('span', { class: 'badge down' }, 'none') : group.leader;
  const short = group.liveReplicas < replicationFactor;
  return el(
    'tr',
    { 'data-testid': testId, 'data-leader': group.leader ?? '' },
    el('td', {}, group.groupId),
    el('td', {}, leader),
    el('td', { class: 'num' }, group.term),
    el('td', {}, ...followers.map(replicaChip)),
    el('td', { class: short ? 'num warn' : 'num' }, `${group.liveReplicas} / ${replicationFactor}`),
    el('td', { class: group.held > 0 ? 'num warn' : 'num' }, group.held),
  );
}

function renderShards(status) {
  const rf = status.replicationFactor;
  const rows = status.shards.map((shard) => groupRow(shard, rf, `shard-${shard.groupId}`));
  if (status.meta !== null) rows.unshift(groupRow(status.meta, rf, 'group-meta'));
  byId('shards').replaceChildren(...rows);
}

function chartFrame(maxY, windowSeconds) {
  const root = svg('svg', {
    viewBox: `0 0 ${chartWidth} ${chartHeight}`,
    class: 'chart',
  });
  for (const fraction of [0, 0.5, 1]) {
    const y = pad.top + plotHeight * (1 - fraction);
    const label = String(Math.round(maxY * fraction * 100) / 100);
    root.append(
      svg('line', { x1: pad.left, x2: chartWidth - pad.right, y1: y, y2: y, class: 'grid' }),
      svg('text', { x: pad.left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, label),
    );
  }
  const ticks = [
    [`-${windowSeconds} s`, 0, 'start'],
    [`-${windowSeconds / 2} s`, 0.5, 'middle'],
    ['now', 1, 'end'],
  ];
  for (const [label, fraction, anchor] of ticks) {
    const x = pad.left + plotWidth * fraction;
    root.append(
      svg('text', { x, y: chartHeight - 4, class: 'axis', 'text-anchor': anchor }, label),
    );
  }
  return root;
}

/** A polyline per series; a null value breaks the line (no request that second). */
function lineChart(target, series, windowSeconds) {
  const values = series.flatMap((s) => s.values.filter((v) => v !== null));
  const maxY = niceMax(Math.max(0, ...values));
  const root = chartFrame(maxY, windowSeconds);
  for (const { values: points, kind } of series) {
    let path = '';
    let drawing = false;
    points.forEach((value, i) => {
      if (value === null) {
        drawing = false;
        return;
      }
      const x = pad.left + (plotWidth * i) / Math.max(1, points.length - 1);
      const y = pad.top + plotHeight * (1 - value / maxY);
      path += `${drawing ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)} `;
      drawing = true;
    });
    if (path !== '') root.append(svg('path', { d: path, class: `line ${kind}` }));
  }
  target.replaceChildren(root);
}

/** Leader changes per 5 s over the window: new leaders at the bottom, lost ones on top. */
function leaderChart(target, activity) {
  const windowMs = activity.windowSeconds * 1_000;
  const fromMs = activity.nowMs - windowMs;
  const buckets = Array.from({ length: windowMs / leaderBucketMs }, () => ({ up: 0, lost: 0 }));
  for (const change of activity.leaderChanges) {
    const bucket = buckets[Math.floor((change.atMs - fromMs) / leaderBucketMs)];
    if (bucket === undefined) continue;
    if (change.to === null) bucket.lost++;
    else bucket.up++;
  }
  const maxY = niceMax(Math.max(0, ...buckets.map((b) => b.up + b.lost)));
  const root = chartFrame(maxY, activity.windowSeconds);
  const width = plotWidth / buckets.length;
  buckets.forEach((bucket, i) => {
    const x = pad.left + width * i + 1;
    let top = pad.top + plotHeight;
    for (const [count, kind] of [
      [bucket.up, 'elected'],
      [bucket.lost, 'lost'],
    ]) {
      if (count === 0) continue;
      const height = (plotHeight * count) / maxY;
      top -= height;
      const tip = `${bucket.up} new leaders, ${bucket.lost} lost`;
      root.append(
        svg(
          'rect',
          { x, y: top, width: width - 2, height, class: `bar ${kind}` },
          svg('title', {}, tip),
        ),
      );
    }
  });
  target.replaceChildren(root);
}

function renderCharts(activity) {
  const { seconds, windowSeconds } = activity;
  lineChart(
    byId('chart-ops'),
    [
      { values: seconds.map((s) => s.requests), kind: 'ops' },
      { values: seconds.map((s) => s.errors), kind: 'errors' },
    ],
    windowSeconds,
  );
  lineChart(
    byId('chart-latency'),
    [
      { values: seconds.map((s) => s.p50Ms), kind: 'p50' },
      { values: seconds.map((s) => s.p99Ms), kind: 'p99' },
    ],
    windowSeconds,
  );
  leaderChart(byId('chart-leaders'), activity);
  const last = seconds[seconds.length - 1];
  byId('ops-now').textContent =
    last === undefined ? '' : `${last.requests}/s, ${last.errors} errors`;
}

function renderFailovers(activity) {
  const rows = [...activity.failovers].reverse().map((failover) => {
    const took =
      failover.durationMs === null
        ? el('span', { class: 'badge suspected' }, 'in progress')
        : `${millis(failover.durationMs)} ms`;
    return el(
      'tr',
      {
        'data-testid': 'failover',
        'data-group': failover.groupId,
        'data-lost': failover.lostLeader ?? '',
        'data-new': failover.newLeader ?? '',
      },
      el('td', {}, failover.groupId),
      el('td', {}, failover.lostLeader ?? '—'),
      el('td', {}, failover.newLeader ?? '—'),
      el('td', { class: 'num' }, `${ago(activity.nowMs - failover.startedAtMs)} ago`),
      el('td', { class: 'num' }, took),
    );
  });
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'none')));
  byId('failovers').replaceChildren(...rows);
  byId('failovers-total').textContent = `(${activity.failoversTotal} since the balancer started)`;
}

function setConnection(state, text) {
  const badge = byId('connection');
  badge.dataset.state = state;
  badge.className = `badge ${state === 'live' ? 'up' : 'down'}`;
  badge.textContent = text;
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store', signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** One round; a failed fetch is shown, a rendering bug is left to surface as a page error. */
async function poll() {
  try {
    let status;
    let activity;
    try {
      [status, activity] = await Promise.all([getJson('status'), getJson('activity')]);
    } catch (error) {
      setConnection('error', `balancer unreachable (${error.message})`);
      return;
    }
    renderHeader(status);
    renderNodes(status);
    renderShards(status);
    renderCharts(activity);
    renderFailovers(activity);
    setConnection('live', `live · ${new Date(activity.nowMs).toLocaleTimeString()}`);
  } finally {
    setTimeout(poll, pollMs);
  }
}

poll();
