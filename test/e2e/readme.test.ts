// The README must stay true: its TypeScript example is extracted, run as a user would run it
// (importing @troupe/runtime), and must print what the README says it prints.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { repoRoot, spawnTs, stopAll } from '../harness/processes.js';

afterAll(() => stopAll());

function firstTypeScriptBlock(markdown: string): string {
  const match = /```ts\n([\s\S]*?)```/.exec(markdown);
  if (!match?.[1]) throw new Error('README has no ```ts block');
  return match[1];
}

test('the README actor example runs and prints 2', async () => {
  const snippet = firstTypeScriptBlock(readFileSync(resolve(repoRoot, 'README.md'), 'utf8'));
  const dir = resolve(repoRoot, 'test/e2e/.tmp');
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, 'readme-example.ts');
  writeFileSync(file, snippet);
  const child = spawnTs('test/e2e/.tmp/readme-example.ts', [], {
    env: { TROUPE_LOG_LEVEL: 'silent' },
  });
  const exit = await child.exited;
  expect(exit.code).toBe(0);
  expect(child.lines).toEqual(['2']);
});

test('the demo (README command 1) fails a shard and a balancer over and converges', async () => {
  const demo = spawnTs('packages/node/examples/cluster-demo.ts', [], {
    env: { TROUPE_LOG_LEVEL: 'warn' },
  });
  const exit = await demo.exited;
  expect(exit.code, demo.lines.join('\n')).toBe(0);
  const output = demo.lines.join('\n');
  expect(output).toMatch(/balancers ready: b1 at ws:\/\/127\.0\.0\.1:\d+, b2 at/);
  expect(output).toMatch(/wrote user:1\.\.user:200 through b1 in \d+ ms/);
  expect(output).toMatch(/user:42 lives in shard s2, led by n\d: SIGKILL n\d/);
  expect(output).toMatch(/write of user:42 succeeded \d+ ms after the kill; n\d leads now/);
  expect(output).toContain(
    'SIGKILL b1: the client moved to b2 and reads user:42 = {"visits":4242}',
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
