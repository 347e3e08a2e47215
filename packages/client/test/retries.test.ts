// Retries of the client's request pipeline against a fake balancer: replies answered
// Unavailable, Overloaded, Indeterminate or NotLeader are sent again within the deadline (a
// write with the same session id and seq every time, so it applies once); a request whose reply
// is lost to a cut or closed connection is resent on the next connection with the same
// (id, seq) and is answered from the session table; reads are retried the same way; a retried
// code that never clears ends, at the deadline, in its typed error.
import { describe, expect, test } from 'vitest';
import {
  OverloadedError,
  TimeoutError,
  UnavailableError,
  VersionConflictError,
} from '../src/errors.js';
import type { WriteRequest } from '../src/protocol/index.js';
import { decodeValue } from '../src/values.js';
import { act, useHarness } from './fake-balancer.js';

const h = useHarness(11);
const retried = [
  'TROUPE_ERR_UNAVAILABLE',
  'TROUPE_ERR_OVERLOADED',
  'TROUPE_ERR_INDETERMINATE',
  'TROUPE_ERR_NOT_LEADER',
];

function sessionsOf(requests: { request: unknown }[]) {
  return requests.map((r) => (r.request as WriteRequest).session);
}

describe('retried replies', () => {
  test.each(retried)('a write answered %s twice is resent with the same session', async (code) => {
    let failures = 2;
    const fake = await h.fake({
      script: (r) => (r.request.op !== 'get' && failures-- > 0 ? act.fail(code) : act.store()),
    });
    const client = h.client([fake]);
    const written = await client.update('k', { n: 1 });
    const sessions = sessionsOf(fake.requests('update'));
    expect(sessions).toHaveLength(3);
    expect(sessions[0]?.id).toHaveLength(21);
    expect(sessions[0]?.seq).toBe(1);
    expect(new Set(sessions.map((s) => `${s?.id}/${s?.seq}`)).size).toBe(1);
    expect(fake.cluster.applied).toHaveLength(1);
    expect(written).toEqual({ version: 1, prevVersion: 0 });
  });

  test.each(retried)('a read answered %s twice is retried and then answered', async (code) => {
    let failures = 2;
    const fake = await h.fake({
      script: (r) => (r.request.op === 'get' && failures-- > 0 ? act.fail(code) : act.store()),
    });
    const client = h.client([fake]);
    await client.update('k', 'v');
    const read = await client.get('k');
    expect(read).toEqual({ exists: true, value: 'v', version: 1 });
    expect(fake.requests('get')).toHaveLength(3);
  });

  test('an answer that is not retried (VersionConflict) is sent once', async () => {
    const fake = await h.fake({ script: () => act.fail('TROUPE_ERR_VERSION_CONFLICT') });
    const client = h.client([fake]);
    await expect(client.update('k', 1, { ifVersion: 3 })).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    expect(fake.requests('update')).toHaveLength(1);
  });
});

describe('replies lost to a connection drop', () => {
  test.each([
    ['cut (no close frame)', act.cut],
    ['closed with 1001', act.close(1001)],
    ['closed with 1011', act.close(1011)],
  ])('a write applied whose reply is lost (%s) is resent once, same (id, seq)', async (_, drop) => {
    let dropped = false;
    const fake = await h.fake({
      script: (r, f) => {
        if (r.request.op === 'get' || dropped) return act.store();
        dropped = true;
        f.cluster.answer(r.request); // applied, then the reply is lost
        return drop;
      },
    });
    const client = h.client([fake]);
    const written = await client.update('k', 'once');
    const updates = fake.requests('update');
    expect(updates.map((u) => u.conn)).toEqual([1, 2]);
    expect(sessionsOf(updates)[0]).toEqual(sessionsOf(updates)[1]);
    expect(fake.cluster.applied).toHaveLength(1);
    expect(written).toEqual({ version: 1, prevVersion: 0 });
    expect(client.status().connects).toBe(2);
  });

  test('every request in flight on a dropped connection is resent on the next', async () => {
    let cut = false;
    const fake = await h.fake({
      script: (r) => {
        if (cut) return act.store();
        if (r.request.key !== 'k9') return act.silent;
        cut = true;
        return act.cut;
      },
    });
    const client = h.client([fake]);
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const results = await Promise.all(keys.map((k) => client.update(k, k)));
    expect(results.map((r) => r.prevVersion)).toEqual(keys.map(() => 0));
    const second = fake.received.filter((r) => r.conn === 2).map((r) => r.request.key);
    expect(second.sort()).toEqual([...keys].sort());
    expect(fake.cluster.applied).toHaveLength(10);
  });

  test('a read whose reply is lost is retried on the next connection', async () => {
    let dropped = false;
    const fake = await h.fake({
      script: (r) => {
        if (r.request.op !== 'get' || dropped) return act.store();
        dropped = true;
        return act.cut;
      },
    });
    const client = h.client([fake]);
    await client.update('k', [1, 2]);
    expect((await client.get('k')).value).toEqual([1, 2]);
    expect(fake.requests('get').map((g) => g.conn)).toEqual([1, 2]);
  });
});

describe('retried codes that never clear', () => {
  test('a read answered Unavailable until the deadline rejects with UnavailableError', async () => {
    const fake = await h.fake({ script: () => act.fail('TROUPE_ERR_UNAVAILABLE') });
    const client = h.client([fake]);
    const error = await client.get('k', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_UNAVAILABLE');
    expect(fake.requests('get').length).toBeGreaterThan(1);
  });

  test('a write answered Overloaded, no time left to retry: OverloadedError', async () => {
    // The backoff (>= 500 ms) would end past the deadline: the client stops at the answer. (A
    // write still in flight at its deadline is a TimeoutError instead: it may have applied.)
    const fake = await h.fake({ script: () => act.fail('TROUPE_ERR_OVERLOADED') });
    const client = h.client([fake], { backoff: { initialMs: 1_000, maxMs: 1_000 } });
    const error = await client.update('k', 1, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_OVERLOADED');
    expect(fake.requests('update')).toHaveLength(1);
  });

  test('a write answered Indeterminate until the deadline rejects with TimeoutError', async () => {
    const fake = await h.fake({ script: () => act.fail('TROUPE_ERR_INDETERMINATE') });
    const client = h.client([fake]);
    const error = await client.delete('k', { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_TIMEOUT');
  });

  test('the value written on a retry is the one first sent', async () => {
    let failures = 3;
    const fake = await h.fake({
      script: (r) => (r.request.op !== 'get' && failures-- > 0 ? act.cut : act.store()),
    });
    const client = h.client([fake]);
    await client.update('k', { big: 2n ** 70n });
    const values = fake.requests('update').map((u) => {
      return decodeValue((u.request as { value: Uint8Array }).value);
    });
    expect(values).toEqual(Array.from({ length: 4 }, () => ({ big: 2n ** 70n })));
  });
});
