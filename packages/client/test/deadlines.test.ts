// Deadlines of client operations against a fake balancer: a request never answered rejects
// with TimeoutError once its timeoutMs passes (a read and a write); one that never reached a
// balancer (refused with 1013, unreachable, handshake never answered) rejects with
// UnavailableError; a per-call timeoutMs overrides requestTimeoutMs and travels as the third
// tuple element, never more than the time left (nor over the protocol's 120,000 ms); a timeout
// that is not a positive number of ms a timer can hold is refused; a reply that comes after the
// deadline is ignored. Bounds on elapsed time only say "it settled", never how fast.
import { describe, expect, test } from 'vitest';
import { InvalidArgumentError, TimeoutError, UnavailableError } from '../src/errors.js';
import { act, deadUrl, useHarness } from './fake-balancer.js';

const h = useHarness(7);
/** Only "did not hang": far above every deadline used here. */
const hangMs = 5_000;

async function settle(promise: Promise<unknown>) {
  const startedMs = Date.now();
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return { error, elapsedMs: Date.now() - startedMs };
}

describe('requests never answered', () => {
  test('a read rejects with TimeoutError at its deadline', async () => {
    const fake = await h.fake({ script: () => act.silent });
    const client = h.client([fake]);
    const { error, elapsedMs } = await settle(client.get('k', { timeoutMs: 150 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_TIMEOUT');
    expect(elapsedMs).toBeLessThan(hangMs);
    expect(elapsedMs).toBeGreaterThanOrEqual(100); // not before its deadline
    expect(fake.requests('get')).toHaveLength(1);
  });

  test('a write rejects with TimeoutError that says it may have been applied', async () => {
    const fake = await h.fake({ script: () => act.silent });
    const client = h.client([fake], { requestTimeoutMs: 150 });
    const { error, elapsedMs } = await settle(client.update('k', 1));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/may have been applied/);
    expect(elapsedMs).toBeLessThan(hangMs);
  });

  test('a reply after the deadline is ignored and the connection carries on', async () => {
    let first = true;
    const fake = await h.fake({
      script: () => {
        const action = first ? act.store(250) : act.store();
        first = false;
        return action;
      },
    });
    const client = h.client([fake]);
    const late = await settle(client.update('late', 1, { timeoutMs: 100 }));
    expect(late.error).toBeInstanceOf(TimeoutError);
    await new Promise((resolve) => setTimeout(resolve, 250)); // the late reply arrives
    await expect(client.update('next', 2)).resolves.toMatchObject({ prevVersion: 0 });
    expect(client.status()).toMatchObject({ connects: 1, inflight: 0, queued: 0 });
  });
});

describe('requests that never reached a balancer', () => {
  test.each([
    ['refused with 1013 on open', 'open'],
    ['refused with 1013 after the hello', 'hello'],
  ] as const)('%s: UnavailableError', async (_, at) => {
    const fake = await h.fake();
    fake.refuse(1013, at);
    const client = h.client([fake], { requestTimeoutMs: 200 });
    const { error, elapsedMs } = await settle(client.get('k'));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_UNAVAILABLE');
    expect(elapsedMs).toBeLessThan(hangMs);
    expect(fake.accepted).toBeGreaterThan(1); // it kept trying
    expect(fake.received).toHaveLength(0);
  });

  test('unreachable balancers: UnavailableError', async () => {
    const client = h.client([await deadUrl(), await deadUrl()], { requestTimeoutMs: 200 });
    const { error } = await settle(client.update('k', 1));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(client.status().connects).toBe(0);
  });

  test('a handshake never answered: UnavailableError at the request deadline', async () => {
    const fake = await h.fake();
    fake.refuse('stall');
    const client = h.client([fake], { requestTimeoutMs: 150, connectTimeoutMs: 5_000 });
    const { error, elapsedMs } = await settle(client.get('k'));
    expect(error).toBeInstanceOf(UnavailableError);
    expect(elapsedMs).toBeLessThan(hangMs);
  });

  test('a handshake that times out moves on to the next balancer', async () => {
    const stalled = await h.fake();
    stalled.refuse('stall');
    const good = await h.fake();
    const client = h.client([stalled, good], { connectTimeoutMs: 100, requestTimeoutMs: 2_000 });
    await expect(client.update('k', 1)).resolves.toMatchObject({ version: 1 });
    expect(client.status().balancer).toBe(good.url);
  });
});

describe('timeoutMs on the wire', () => {
  test('a per-call timeoutMs overrides requestTimeoutMs, sent as the third element', async () => {
    const fake = await h.fake({ script: () => act.silent });
    const client = h.client([fake], { requestTimeoutMs: 60_000 });
    const { error, elapsedMs } = await settle(client.get('k', { timeoutMs: 120 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(elapsedMs).toBeLessThan(hangMs);
    const sent = fake.requests('get')[0]?.timeoutMs ?? 0;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(120);
  });

  test('requestTimeoutMs is the default sent', async () => {
    const fake = await h.fake();
    const client = h.client([fake], { requestTimeoutMs: 700 });
    await client.update('k', 1);
    const sent = fake.requests('update')[0]?.timeoutMs ?? 0;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(700);
  });

  test('a retry carries no more than the time left', async () => {
    let first = true;
    const fake = await h.fake({
      script: () => {
        const action = first ? act.fail('TROUPE_ERR_UNAVAILABLE', {}, 150) : act.store();
        first = false;
        return action;
      },
    });
    const client = h.client([fake], { requestTimeoutMs: 1_000 });
    await client.get('k');
    const [firstSent, retrySent] = fake.requests('get').map((g) => g.timeoutMs ?? 0);
    expect(firstSent).toBeLessThanOrEqual(1_000);
    expect(retrySent).toBeLessThanOrEqual(1_000 - 150);
  });

  test('a timeout above the protocol maximum is sent as 120,000 ms', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await client.get('k', { timeoutMs: 300_000 });
    expect(fake.requests('get')[0]?.timeoutMs).toBe(120_000);
  });
});

describe('timeouts refused', () => {
  test.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])(
    'per-call timeoutMs %s: InvalidArgumentError, nothing sent',
    async (timeoutMs) => {
      const fake = await h.fake();
      const client = h.client([fake]);
      await expect(client.get('k', { timeoutMs })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(client.update('k', 1, { timeoutMs })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(client.modify('k', () => 1, { timeoutMs })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      expect(fake.received).toHaveLength(0);
    },
  );

  test.each(['requestTimeoutMs', 'connectTimeoutMs'] as const)(
    '%s of 2^31 ms (more than a timer holds): InvalidArgumentError',
    (option) => {
      expect(() => h.client(['ws://127.0.0.1:1'], { [option]: 2 ** 31 })).toThrow(
        InvalidArgumentError,
      );
    },
  );
});
