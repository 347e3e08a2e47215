// The status renderings: the table `troupe status` prints and the one-line summary of
// `troupe up`, from a small /status document.
import { describe, expect, test } from 'vitest';
import { allLed, httpBase, type StatusView } from '../src/status-fetch.js';
import { renderStatusLine, renderStatusTable } from '../src/status-table.js';

const replica = (node: string, role: string, lag: number, up = true) => ({ node, role, lag, up });

const view: StatusView = {
  balancerId: 'b1',
  shardCount: 2,
  replicationFactor: 2,
  members: [
    { id: 'n1', url: 'ws://127.0.0.1:7101', zone: 'zone-a', up: true, phi: 0.1, leaders: 2 },
    { id: 'n2', url: 'ws://127.0.0.1:7102', zone: 'zone-b', up: false, phi: 9.5, leaders: 0 },
  ],
  meta: {
    groupId: 'meta',
    leader: 'n1',
    term: 2,
    replicas: [replica('n1', 'leader', 0), replica('n2', 'follower', 3, false)],
    liveReplicas: 1,
  },
  shards: [
    {
      groupId: 's0',
      leader: 'n1',
      term: 3,
      replicas: [replica('n1', 'leader', 0), replica('n2', 'follower', 7, false)],
      liveReplicas: 1,
    },
    { groupId: 's1', leader: null, term: 1, replicas: [], liveReplicas: 0 },
  ],
};

describe('status renderings', () => {
  test('the table lists nodes and shards in aligned columns', () => {
    expect(renderStatusTable(view)).toBe(
      [
        'balancer b1: 1/2 shards have a leader',
        '',
        'NODE  ZONE    HEALTH  PHI   LEADERS  URL',
        'n1    zone-a  up      0.10  2        ws://127.0.0.1:7101',
        'n2    zone-b  down    9.50  0        ws://127.0.0.1:7102',
        '',
        'SHARD  LEADER  TERM  REPLICAS     LAG',
        'meta   n1      2     n1,n2(down)  3',
        's0     n1      3     n1,n2(down)  7',
        's1     -       1                  -',
      ].join('\n'),
    );
  });

  test('the live line', () => {
    expect(renderStatusLine(view, 1)).toBe(
      'nodes 1/2 up | shards 1/2 led | leaders n1:2 n2:0 | balancers 1 up',
    );
  });

  test('a shard without a leader means not ready', () => {
    expect(allLed(view)).toBe(false);
    const led = { ...view, shards: view.shards.map((s) => ({ ...s, leader: 'n1' })) };
    expect(allLed(led)).toBe(true);
  });

  test('ws:// and http:// name the same port', () => {
    expect(httpBase('ws://127.0.0.1:7000')).toBe('http://127.0.0.1:7000');
    expect(httpBase('https://h:1/')).toBe('https://h:1');
  });
});
