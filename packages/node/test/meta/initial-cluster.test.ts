// --initial-cluster parsing (table-driven accepts and rejects, each reject naming the bad
// part) and the cluster id derived from the members and the token.
import { describe, expect, it } from 'vitest';
import { ClusterConfigError } from '../../src/meta/errors.js';
import { clusterIdOf, parseInitialCluster } from '../../src/meta/initial-cluster.js';

const three = 'n1=127.0.0.1:7001@zone-a,n2=127.0.0.1:7002@zone-b,n3=127.0.0.1:7003@zone-c';

describe('parseInitialCluster accepts', () => {
  it.each([
    ['n1=127.0.0.1:7001', [{ id: 'n1', url: 'ws://127.0.0.1:7001', zone: 'default' }]],
    ['n1=ws://127.0.0.1:7001@zone-a', [{ id: 'n1', url: 'ws://127.0.0.1:7001', zone: 'zone-a' }]],
    [
      ' n1=Node-1.Example.COM:80@Z_1.a , n2=[::1]:65535 ',
      [
        { id: 'n1', url: 'ws://node-1.example.com:80', zone: 'Z_1.a' },
        { id: 'n2', url: 'ws://[::1]:65535', zone: 'default' },
      ],
    ],
    ['node:a!~=localhost:1', [{ id: 'node:a!~', url: 'ws://localhost:1', zone: 'default' }]],
  ])('%s', (text, members) => {
    expect(parseInitialCluster(text)).toEqual(members);
  });

  it('keeps the listed order', () => {
    const ids = parseInitialCluster('b=h:2,a=h:1,c=h:3').map((m) => m.id);
    expect(ids).toEqual(['b', 'a', 'c']);
  });

  it('takes 64 members', () => {
    const list = Array.from({ length: 64 }, (_, i) => `n${i}=h:${i + 1}`).join(',');
    expect(parseInitialCluster(list)).toHaveLength(64);
  });
});

describe('parseInitialCluster rejects', () => {
  it.each([
    ['', /list is empty/],
    ['   ', /list is empty/],
    ['n1=h:1,', /entry 2 is empty/],
    [',n1=h:1', /entry 1 is empty/],
    ['n1', /entry 1 \("n1"\): expected id=host:port\[@zone\]/],
    ['=h:1', /node id must be 1-64 printable ASCII/],
    [`${'x'.repeat(65)}=h:1`, /node id must be/],
    ['n1=h', /expected host:port/],
    ['n1=h:', /port must be 1-65535, got ""/],
    ['n1=h:0', /port must be 1-65535, got "0"/],
    ['n1=h:65536', /port must be 1-65535/],
    ['n1=h:070', /port must be 1-65535, got "070"/],
    ['n1=h:7x', /port must be/],
    ['n1=h:-1', /port must be/],
    ['n1=:7001', /invalid host ""/],
    ['n1=a b:1', /invalid host "a b"/],
    ['n1=h..x:1', /invalid host/],
    ['n1=[zz]:1', /invalid host/],
    ['n1=wss://h:1', /only ws:\/\/ URLs/],
    ['n1=http://h:1', /only ws:\/\/ URLs/],
    ['n1=ws://h:1/path', /port must be/],
    ['n1=h:1@', /zone must match/],
    ['n1=h:1@zone a', /zone must match/],
    [`n1=h:1@${'z'.repeat(65)}`, /zone must match/],
    ['n1=h:1,n1=h:2', /duplicate id "n1"/],
    ['n1=h:1,n2=ws://H:1', /duplicate URL "ws:\/\/h:1"/],
    [Array.from({ length: 65 }, (_, i) => `n${i}=h:${i + 1}`).join(','), /65 members, at most 64/],
  ])('%s', (text, message) => {
    expect(() => parseInitialCluster(text)).toThrow(ClusterConfigError);
    expect(() => parseInitialCluster(text)).toThrow(message);
  });

  it('carries the stable code', () => {
    try {
      parseInitialCluster('n1=h:0');
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'TROUPE_ERR_CLUSTER_CONFIG',
        name: 'ClusterConfigError',
      });
    }
  });
});

describe('clusterIdOf', () => {
  const members = parseInitialCluster(three);

  it('is 16 hex characters and stable across releases', () => {
    const id = clusterIdOf(members, 'troupe');
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    // Pinned: SHA-256 of JSON [[[id, url, zone] sorted by id], token]. Changing the
    // derivation would make every existing data dir look like another cluster's.
    expect(id).toBe('a1b65573b371015b');
  });

  it('does not depend on the listed order', () => {
    const reversed = [...members].reverse();
    expect(clusterIdOf(reversed, 'troupe')).toBe(clusterIdOf(members, 'troupe'));
  });

  it('differs with the token, a URL, a zone or a member', () => {
    const base = clusterIdOf(members, 'troupe');
    const variants = [
      clusterIdOf(members, 'other'),
      clusterIdOf(members, ''),
      clusterIdOf(parseInitialCluster(three.replace(':7003', ':7004')), 'troupe'),
      clusterIdOf(parseInitialCluster(three.replace('zone-c', 'zone-a')), 'troupe'),
      clusterIdOf(members.slice(0, 2), 'troupe'),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('refuses an invalid member list', () => {
    expect(() => clusterIdOf([], 't')).toThrow(ClusterConfigError);
    expect(() => clusterIdOf([...members, members[0]!], 't')).toThrow(/duplicate id/);
  });
});
