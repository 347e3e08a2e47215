// cluster.json: a first run plans distinct ports, ids and zones; a later run reads the same
// layout back and refuses flags that would change it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { initialCluster, loadOrCreateLayout, readLayout } from '../src/cluster-file.js';
import { DataDirError } from '../src/errors.js';

const root = mkdtempSync(join(tmpdir(), 'troupe-cli-layout-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const none = { nodes: null, balancers: null, shards: null };

describe('cluster.json', () => {
  test('a first run plans and stores a layout; a second run reads the same one', async () => {
    const dir = join(root, 'a');
    const first = await loadOrCreateLayout(dir, { ...none, nodes: 3 }, 24_000);
    expect(first.created).toBe(true);
    const { layout } = first;
    expect(layout.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    expect(layout.nodes.map((n) => n.zone)).toEqual(['zone-a', 'zone-b', 'zone-c']);
    const ports = [...layout.nodes, ...layout.balancers].map((x) => x.port);
    expect(new Set(ports).size).toBe(ports.length);
    expect(initialCluster(layout)).toMatch(/^n1=127\.0\.0\.1:\d+@zone-a,n2=/);
    const second = await loadOrCreateLayout(dir, none, 30_000);
    expect(second).toEqual({ layout, created: false });
  });

  test('a one-node cluster replicates once', async () => {
    const { layout } = await loadOrCreateLayout(join(root, 'b'), { ...none, nodes: 1 }, 24_100);
    expect(layout.replicationFactor).toBe(1);
  });

  test('flags cannot change a stored cluster', async () => {
    const dir = join(root, 'c');
    await loadOrCreateLayout(dir, none, 24_200);
    await expect(loadOrCreateLayout(dir, { ...none, nodes: 5 }, 24_200)).rejects.toThrow(
      DataDirError,
    );
  });

  test('a file that is not a cluster file is refused', () => {
    const dir = join(root, 'd');
    rmSync(dir, { recursive: true, force: true });
    expect(readLayout(dir)).toBeNull();
    writeFileSync(join(root, 'cluster.json'), '{"version":2}');
    expect(() => readLayout(root)).toThrow(DataDirError);
  });
});
