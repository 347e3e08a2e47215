// A data dir that belongs to another cluster, is truncated, or is corrupted is refused at start
// with an error naming the file and what is wrong (exit code 78); it is never served. Also:
// SIGTERM stops a node cleanly (exit 0) and a restart serves the data it had.
import { closeSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeMain, TestCluster } from '../harness/cluster.js';
import { KvTestClient, pack } from '../harness/kv-test-client.js';
import { spawnTs, stopAll } from '../harness/processes.js';
import { expectOk, getValue } from './helpers.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.create({ size: 1, args: ['--replication-factor', '1'] });
}, 30_000);

afterAll(async () => {
  await cluster?.destroy();
  await stopAll();
});

/** Runs a node that must refuse to start; returns its exit code and stderr. */
async function refusedStart(
  extra: string[] = [],
): Promise<{ code: number | null; stderr: string }> {
  const node = cluster.node('n1');
  const child = spawnTs(nodeMain, cluster.argsFor(node, extra));
  let stderr = '';
  child.child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A node that wrongly starts would serve forever: give up on it after a while.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const exit = await child.exited;
  clearTimeout(timer);
  return { code: exit.code, stderr };
}

function storeFile(): string {
  return join(cluster.node('n1').dataDir, 'store.mdb');
}

describe('data dir checks', () => {
  test('SIGTERM stops a node cleanly and a restart serves its data', async () => {
    await cluster.start('n1');
    const client = await KvTestClient.connect([cluster.node('n1').url], 16);
    expectOk(
      await client.request({
        op: 'update',
        key: 'kept',
        value: pack(42),
        session: { id: 's', seq: 1 },
      }),
    );
    await client.close();
    await cluster.kill('n1', 'SIGTERM');
    await cluster.start('n1');
    const again = await KvTestClient.connect([cluster.node('n1').url], 16);
    expect((await getValue(again, null, 'kept')).value).toBe(42);
    await again.close();
    await cluster.kill('n1', 'SIGTERM');
  }, 60_000);

  test('a second process on a data dir in use is refused, naming the lock', async () => {
    await cluster.start('n1');
    const { code, stderr } = await refusedStart();
    expect(code).toBe(78);
    expect(stderr).toContain(join(cluster.node('n1').dataDir, 'LOCK'));
    expect(stderr).toContain('in use by another running process');
    await cluster.kill('n1', 'SIGTERM');
  }, 30_000);

  test('a data dir of another cluster is refused, naming the file', async () => {
    const { code, stderr } = await refusedStart(['--initial-cluster-token', 'another-cluster']);
    expect(code).toBe(78);
    expect(stderr).toContain('TROUPE_ERR_DATA_DIR');
    expect(stderr).toContain(cluster.node('n1').dataDir);
    expect(stderr).toMatch(/cluster/);
  }, 30_000);

  test('a corrupted store is refused, naming the file', async () => {
    const file = storeFile();
    const original = readFileSync(file);
    const fd = openSync(file, 'r+');
    // Overwrite every page after the two meta pages: the B-tree and the records in it.
    const pageBytes = 4096;
    const garbage = Buffer.alloc(statSync(file).size - 2 * pageBytes, 0xa5);
    writeSync(fd, garbage, 0, garbage.length, 2 * pageBytes);
    closeSync(fd);
    const { code, stderr } = await refusedStart();
    expect(code).toBe(78);
    expect(stderr).toContain('store.mdb');
    // Put the good file back for the next case.
    const restore = openSync(file, 'w');
    writeSync(restore, original);
    closeSync(restore);
  }, 30_000);

  test('a truncated store is refused, naming the file', async () => {
    const file = storeFile();
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const { code, stderr } = await refusedStart();
    expect(code).toBe(78);
    expect(stderr).toContain('store.mdb');
    expect(stderr).toMatch(/truncat/i);
  }, 30_000);
});
