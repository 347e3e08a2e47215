// The harness's own behaviour that tests lean on: ports handed out for fixed-address restarts
// are bindable and below the kernel's ephemeral range, and a child that dies before its ready
// line fails the wait at once with its exit status and stderr, instead of a bare timeout.
import { createServer } from 'node:net';
import { afterAll, expect, test } from 'vitest';
import { freePort } from './ports.js';
import { spawnTs, stopAll } from './processes.js';

afterAll(() => stopAll());

test('freePort gives distinct bindable ports outside the ephemeral range', async () => {
  const ports = new Set<number>();
  for (let i = 0; i < 20; i++) ports.add(await freePort());
  expect(ports.size).toBe(20);
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(32_768);
  }
  const [first] = ports;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(first, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('a child that exits before its ready line fails the wait with its stderr', async () => {
  const child = spawnTs('test/harness/fixtures/exit-early.ts', []);
  const wait = child.waitForEvent('ready', 20_000);
  await expect(wait).rejects.toThrow(/exited \(code 1.*EADDRINUSE/s);
  await expect(child.waitForEvent('ready')).rejects.toThrow(/EADDRINUSE/);
});
