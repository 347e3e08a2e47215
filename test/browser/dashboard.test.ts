// The balancer's dashboard in a real browser: headless Chromium (/usr/bin/chromium, which
// .ci/run installs) opens the page a balancer serves at / in front of a real three-node
// cluster and sees three healthy nodes; a node leading shards is SIGKILLed and the page shows
// it down, a new leader for every shard it led, and the failover. Screenshots before and
// after are kept in test-artifacts/ at the repository root for a human to look at.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BalancerConnection } from '../harness/balancer-client.js';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { pack } from '../harness/kv-test-client.js';
import { repoRoot, stopAll } from '../harness/processes.js';

const artifacts = join(repoRoot, 'test-artifacts');
/** Generous: a busy 2-core CI box may take a while to elect and to repaint. */
const waitMs = 60_000;
const shardCount = 16;

let cluster: TestCluster | undefined;
let balancers: TestBalancers | undefined;
let browser: Browser | undefined;
let connection: BalancerConnection | undefined;

beforeAll(async () => {
  cluster = await TestCluster.create({ size: 3, shards: shardCount });
  await cluster.startAll();
  balancers = await TestBalancers.create(cluster, 1);
  await balancers.startAll();
  connection = await BalancerConnection.open(balancers.urls[0]!);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
}, 90_000);

afterAll(async () => {
  connection?.close();
  await browser?.close();
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
});

/** Writes through the balancer so the request charts have something to show. */
async function write(prefix: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const session = { id: `dashboard-${prefix}`, seq: i + 1 };
    const reply = await connection!.request({
      op: 'update',
      key: `${prefix}-${i}`,
      value: pack(i),
      session,
    });
    expect(reply.ok).toBe(true);
  }
}

async function screenshot(tab: Page, name: string): Promise<string> {
  mkdirSync(artifacts, { recursive: true });
  const path = join(artifacts, `dashboard-${name}.png`);
  await tab.screenshot({ path, fullPage: true });
  return path;
}

/** The part of /status this test reads. */
interface Status {
  members: { id: string }[];
  shards: { groupId: string; leader: string | null }[];
}

const nodeRows = '[data-testid^="node-"]';
const ledShardRows = '[data-testid^="shard-"]:not([data-leader=""])';

test('the dashboard shows the cluster, then a killed leader node and its failover', async () => {
  const tab = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  tab.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  tab.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  const balancer = balancers!.balancer('b1');
  await write('before', 50);
  await tab.goto(`${balancer.http}/`);

  // Three nodes up, every shard led.
  await tab.waitForFunction(
    `document.querySelectorAll('${nodeRows}[data-state="up"]').length === 3 && ` +
      `document.querySelectorAll('${ledShardRows}').length === ${shardCount}`,
    null,
    { timeout: waitMs },
  );
  expect(await tab.locator(nodeRows).count()).toBe(3);
  expect(await tab.locator('#chart-ops path.ops').count()).toBe(1);
  const before = await screenshot(tab, 'before');

  const status = await balancers!.status<Status>('b1');
  const victim = status.members.find((m) => status.shards.some((s) => s.leader === m.id))!.id;
  const led = status.shards.filter((s) => s.leader === victim).map((s) => s.groupId);
  expect(led.length).toBeGreaterThan(0);
  await cluster!.kill(victim, 'SIGKILL');
  await write('after', 50);

  const lost = ['down', 'suspected', 'gone'].map((s) => `[data-state="${s}"]`).join(',');
  await tab.waitForSelector(`[data-testid="node-${victim}"]:is(${lost})`, { timeout: waitMs });
  for (const groupId of led) {
    const newLeader = `[data-testid="shard-${groupId}"]:not([data-leader=""]):not([data-leader="${victim}"])`;
    await tab.waitForSelector(newLeader, { timeout: waitMs });
  }
  await tab.waitForSelector(`[data-testid="failover"][data-lost="${victim}"]:not([data-new=""])`, {
    timeout: waitMs,
  });
  await tab.waitForSelector('#chart-leaders rect.bar.elected', { timeout: waitMs });
  const after = await screenshot(tab, 'after');

  // The page says what the balancer says: every shard the victim led has another leader.
  const now = await balancers!.status<Status>('b1');
  for (const groupId of led) {
    const shown = await tab.locator(`[data-testid="shard-${groupId}"]`).getAttribute('data-leader');
    expect(shown).toBeTruthy();
    expect(shown).not.toBe(victim);
    expect(now.shards.find((s) => s.groupId === groupId)?.leader).not.toBe(victim);
  }
  for (const path of [before, after]) expect(statSync(path).size).toBeGreaterThan(0);
  expect(problems).toEqual([]);
}, 240_000);
