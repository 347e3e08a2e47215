// The README must stay true: its TypeScript examples are extracted, run as a user would run
// them (importing @troupe/runtime, and @troupe/client against a real cluster and balancer),
// and must print what the README says they print.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { repoRoot, spawnTs, stopAll } from '../harness/processes.js';

afterAll(() => stopAll());

function firstTypeScriptBlock(markdown: string): string {
  const match = /```ts\n([\s\S]*?)```/.exec(markdown);
  if (!match?.[1]) throw new Error('README has no ```ts block');
  return match[1];
}

function clientBlock(markdown: string): string {
  const blocks = [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const block = blocks.find((b) => b.includes('createClient'));
  if (block === undefined) throw new Error('README has no client example');
  return block;
}

function writeSnippet(name: string, code: string): string {
  const dir = resolve(repoRoot, 'test/e2e/.tmp');
  mkdirSync(dir, { recursive: true });
  writeFileSync(resolve(dir, name), code);
  return `test/e2e/.tmp/${name}`;
}

test('the README actor example runs and prints 2', async () => {
  const snippet = firstTypeScriptBlock(readFileSync(resolve(repoRoot, 'README.md'), 'utf8'));
  const file = writeSnippet('readme-example.ts', snippet);
  const child = spawnTs(file, [], {
    env: { TROUPE_LOG_LEVEL: 'silent' },
  });
  const exit = await child.exited;
  expect(exit.code).toBe(0);
  expect(child.lines).toEqual(['2']);
});

test('the README client example runs against a cluster and prints what it says', async () => {
  const snippet = clientBlock(readFileSync(resolve(repoRoot, 'README.md'), 'utf8'));
  const file = writeSnippet('readme-client.ts', snippet);
  const cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  const balancers = await TestBalancers.create(cluster, 1);
  try {
    await balancers.startAll();
    const child = spawnTs(file, [], { env: { TROUPE_BALANCERS: balancers.urls.join(',') } });
    const exit = await child.exited;
    expect(exit.code, child.lines.join('\n')).toBe(0);
    expect(child.lines).toEqual(['Ada true', expect.stringMatching(/^conflict \d+$/), '2']);
  } finally {
    await balancers.killAll();
    await cluster.destroy();
  }
}, 90_000);

test('the demo (`pnpm demo`) fails a shard and a balancer over and converges', async () => {
  const demo = spawnTs('packages/node/examples/cluster-demo.ts', [], {
    env: { TROUPE_LOG_LEVEL: 'warn' },
  });
  const exit = await demo.exited;
  expect(exit.code, demo.lines.join('\n')).toBe(0);
  const output = demo.lines.join('\n');
  expect(output).toMatch(/balancers ready: b1 at ws:\/\/127\.0\.0\.1:\d+, b2 at/);
  expect(output).toMatch(/wrote user:1\.\.user:200 through b\d in \d+ ms/);
  expect(output).toMatch(/user:42 lives in shard s2, led by n\d: SIGKILL n\d/);
  expect(output).toMatch(/write of user:42 succeeded \d+ ms after the kill; n\d leads now/);
  expect(output).toMatch(
    /SIGKILL (b\d): the client moved to (?!\1)b\d and reads user:42 = \{"visits":4242\}/,
  );
  expect(output).toContain('every shard is identical on all three nodes');
  expect(output).toMatch(/serves user:42 = \{"visits":4242\}/);
  expect(output).toContain('demo finished: all nodes stopped cleanly');
}, 120_000);

test('the runtime demo runs two processes that exchange messages', async () => {
  const demo = spawnTs('packages/runtime/examples/two-nodes.ts', []);
  const exit = await demo.exited;
  expect(exit.code).toBe(0);
  const output = demo.lines.join('\n');
  expect(output).toContain("[node-b] told node-a's greeter hello");
  expect(output).toContain('[node-a] greeter got a hello from node-b');
  expect(output).toMatch(/\[node-b\] ask ping 5 -> \{"type":"pong","seq":5,"by":"node-a"\}/);
  expect(output).toContain('demo finished: both nodes exited cleanly');
});
