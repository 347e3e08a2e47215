// The client's watch on a silent balancer, against in-process fakes: while requests are
// outstanding and nothing arrives for pingAfterMs, the client pings (the balancer answers
// pings itself); a balancer that stops answering everything — pings included, its connection
// still open, as a stopped process looks — is given up after pingTimeoutMs and the request
// completes on the next balancer; a balancer that is slow but alive keeps the connection; an
// idle client sends no pings.
import { describe, expect, test, vi } from 'vitest';
import { act, FakeCluster, useHarness } from './fake-balancer.js';

const h = useHarness(11);
const keepalive = { pingAfterMs: 100, pingTimeoutMs: 300 };

describe('keepalive', () => {
  test('a hung balancer is left after the ping timeout; the request completes elsewhere', async () => {
    const cluster = new FakeCluster();
    const hung = await h.fake({ cluster });
    const healthy = await h.fake({ cluster });
    vi.mocked(Math.random).mockReturnValueOnce(0);
    const client = h.client([hung, healthy], { ...keepalive, requestTimeoutMs: 10_000 });
    await client.update('k', 1);
    hung.hang();
    const written = await client.update('k', 2);
    expect(written.prevVersion).toBe(1);
    expect(client.status()).toMatchObject({ balancer: healthy.url, connects: 2 });
    // Sent once more, to the healthy balancer, and applied there once.
    expect(healthy.requests('update')).toHaveLength(1);
    expect(await client.get('k')).toEqual({ exists: true, value: 2, version: written.version });
  });

  test('a slow balancer that answers pings keeps the connection', async () => {
    const fake = await h.fake({ script: () => act.store(900) });
    const client = h.client([fake], { ...keepalive, requestTimeoutMs: 5_000 });
    await client.update('slow', 'eventually');
    expect(fake.pings).toBeGreaterThan(0);
    expect(client.status().connects).toBe(1);
  });

  test('an idle client sends no pings', async () => {
    const fake = await h.fake();
    const client = h.client([fake], keepalive);
    await client.update('k', 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fake.pings).toBe(0);
  });

  test('pingAfterMs and pingTimeoutMs must be positive', async () => {
    const fake = await h.fake();
    for (const bad of [{ pingAfterMs: 0 }, { pingTimeoutMs: -1 }]) {
      expect(() => h.client([fake], bad)).toThrow(/must be a positive number/);
    }
  });
});
