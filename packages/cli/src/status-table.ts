// Text renderings of a /status document: the table `troupe status` prints and the one-line
// summary `troupe up` keeps refreshed. Pure functions of the document, so tests can pin them.
import type { GroupView, StatusView } from './status-fetch.js';
import { ledShards } from './status-fetch.js';

/** Left-aligned columns separated by two spaces; the header row comes first. */
export function renderColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

const dash = '-';

function maxLag(group: GroupView): string {
  const lags = group.replicas.map((r) => r.lag).filter((lag): lag is number => lag !== null);
  return lags.length === 0 ? dash : String(Math.max(...lags));
}

function groupRow(group: GroupView): string[] {
  const replicas = group.replicas.map((r) => (r.up ? r.node : `${r.node}(down)`)).join(',');
  return [group.groupId, group.leader ?? dash, String(group.term), replicas, maxLag(group)];
}

/** The `troupe status` table: nodes first, then the meta group and every shard. */
export function renderStatusTable(view: StatusView): string {
  const nodes = renderColumns([
    ['NODE', 'ZONE', 'HEALTH', 'PHI', 'LEADERS', 'URL'],
    ...view.members.map((m) => [
      m.id,
      m.zone || dash,
      m.up ? 'up' : 'down',
      m.phi.toFixed(2),
      String(m.leaders),
      m.url ?? dash,
    ]),
  ]);
  const groups = [...(view.meta === null ? [] : [view.meta]), ...view.shards];
  const shards = renderColumns([
    ['SHARD', 'LEADER', 'TERM', 'REPLICAS', 'LAG'],
    ...groups.map(groupRow),
  ]);
  const { led, total } = ledShards(view);
  const summary = `balancer ${view.balancerId}: ${led}/${total} shards have a leader`;
  return `${summary}\n\n${nodes}\n\n${shards}`;
}

/** One line for `troupe up`: nodes up, shards led, leaders per node. */
export function renderStatusLine(view: StatusView, balancersUp: number): string {
  const up = view.members.filter((m) => m.up).length;
  const { led, total } = ledShards(view);
  const leaders = view.members.map((m) => `${m.id}:${m.leaders}`).join(' ');
  const parts = [
    `nodes ${up}/${view.members.length} up`,
    `shards ${led}/${total} led`,
    `leaders ${leaders}`,
    `balancers ${balancersUp} up`,
  ];
  return parts.join(' | ');
}
