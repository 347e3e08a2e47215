// Every error the client raises, against a fake balancer: each error code a server replies
// with becomes its documented class (instanceof) with the stable `code` (VersionConflict and
// AlreadyExists with currentVersion; an unknown code a plain TroupeError that keeps it);
// SessionExpired answering a write's only send is retried on a fresh session, answering a
// resend is thrown; close 4003 is UnauthorizedError, 4002 ProtocolVersionError; more than
// inflightMax + queueMax pending is OverloadedError; close() fails what is pending and what
// comes after with ClientClosedError; a value msgpack cannot carry and bad options are
// InvalidArgumentError (as a rejection, never a synchronous throw); modify() meeting attemptsMax
// conflicts is ContentionError; a stored value that is not msgpack is TROUPE_ERR_DECODE; no
// WebSocket implementation at all fails every call with InvalidArgumentError.
import { describe, expect, test } from 'vitest';
import {
  AlreadyExistsError,
  ClientClosedError,
  ContentionError,
  IndeterminateError,
  InvalidArgumentError,
  KeyTooLargeError,
  OverloadedError,
  ProtocolVersionError,
  SessionExpiredError,
  SessionStaleError,
  StorageFullError,
  TimeoutError,
  TroupeError,
  UnauthorizedError,
  UnavailableError,
  ValueTooLargeError,
  VersionConflictError,
} from '../src/errors.js';
import { createClient } from '../src/index.js';
import { Pipeline } from '../src/pipeline.js';
import type { WriteRequest } from '../src/protocol/index.js';
import { act, quick, useHarness } from './fake-balancer.js';

const h = useHarness(5);

function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (error: unknown) => error,
  );
}

function sessionIds(requests: { request: unknown }[]): (string | undefined)[] {
  return requests.map((r) => (r.request as WriteRequest).session?.id);
}

describe('error replies', () => {
  test.each([
    ['TROUPE_ERR_INVALID_ARGUMENT', InvalidArgumentError],
    ['TROUPE_ERR_KEY_TOO_LARGE', KeyTooLargeError],
    ['TROUPE_ERR_VALUE_TOO_LARGE', ValueTooLargeError],
    ['TROUPE_ERR_STORAGE_FULL', StorageFullError],
    ['TROUPE_ERR_SESSION_STALE', SessionStaleError],
    ['TROUPE_ERR_TIMEOUT', TimeoutError],
  ])('%s on a write: %O, sent once', async (code, Class) => {
    const fake = await h.fake({ script: () => act.fail(code) });
    const client = h.client([fake]);
    const error = await caught(client.update('k', 1));
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(TroupeError);
    expect(error).toMatchObject({ code, message: `fake says ${code}` });
    expect(fake.received).toHaveLength(1);
  });

  test('KeyTooLarge and ValueTooLarge are InvalidArgumentErrors with their own code', async () => {
    const fake = await h.fake({
      script: (r) => act.fail(r.request.op === 'get' ? 'TROUPE_ERR_KEY_TOO_LARGE' : 'x'),
    });
    const client = h.client([fake]);
    const error = await caught(client.get('k'));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_KEY_TOO_LARGE');
  });

  test('VersionConflict carries currentVersion', async () => {
    const fake = await h.fake({
      script: () => act.fail('TROUPE_ERR_VERSION_CONFLICT', { currentVersion: 7 }),
    });
    const client = h.client([fake]);
    const error = await caught(client.update('k', 1, { ifVersion: 3 }));
    expect(error).toBeInstanceOf(VersionConflictError);
    expect(error).toMatchObject({ code: 'TROUPE_ERR_VERSION_CONFLICT', currentVersion: 7 });
    expect((await caught(client.delete('k', { ifVersion: 3 }))) as Error).toBeInstanceOf(
      VersionConflictError,
    );
  });

  test('AlreadyExists carries currentVersion (from the store: create twice)', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await client.create('k', 'first');
    const error = await caught(client.create('k', 'second'));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect(error).toMatchObject({ code: 'TROUPE_ERR_ALREADY_EXISTS', currentVersion: 1 });
    expect(await client.get('k')).toMatchObject({ value: 'first' });
  });

  test('an unknown code is a plain TroupeError that keeps it', async () => {
    const fake = await h.fake({ script: () => act.fail('TROUPE_ERR_FROM_THE_FUTURE') });
    const client = h.client([fake]);
    for (const error of [await caught(client.get('k')), await caught(client.update('k', 1))]) {
      expect(error).toBeInstanceOf(TroupeError);
      expect((error as Error).constructor).toBe(TroupeError);
      expect(error).toHaveProperty('code', 'TROUPE_ERR_FROM_THE_FUTURE');
    }
  });

  test('the codes a balancer answers for reads: Unavailable, Overloaded', async () => {
    const fake = await h.fake({ script: () => act.fail('TROUPE_ERR_UNAVAILABLE') });
    const client = h.client([fake], { requestTimeoutMs: 100 });
    expect(await caught(client.get('k'))).toBeInstanceOf(UnavailableError);
    fake.script = () => act.fail('TROUPE_ERR_OVERLOADED');
    expect(await caught(client.get('k'))).toBeInstanceOf(OverloadedError);
    // IndeterminateError is never thrown for a read: it is retried and then times out.
    fake.script = () => act.fail('TROUPE_ERR_INDETERMINATE');
    const error = await caught(client.get('k'));
    expect(error).not.toBeInstanceOf(IndeterminateError);
    expect(error).toBeInstanceOf(TimeoutError);
  });
});

describe('SessionExpired', () => {
  test('answering the only send: retried once on a fresh session id', async () => {
    let expired = false;
    const fake = await h.fake({
      script: (r) => {
        if (r.request.op === 'get' || expired) return act.store();
        expired = true;
        return act.fail('TROUPE_ERR_SESSION_EXPIRED');
      },
    });
    const client = h.client([fake]);
    await expect(client.update('k', 1)).resolves.toMatchObject({ version: 1 });
    const [firstId, retryId] = sessionIds(fake.requests('update'));
    expect(retryId).not.toBe(firstId);
    const seqs = fake.requests('update').map((u) => (u.request as WriteRequest).session?.seq);
    expect(seqs).toEqual([1, 1]);
    // The forgotten session is never used again.
    await client.update('k', 2);
    await client.update('k', 3);
    expect(sessionIds(fake.requests('update')).slice(2)).not.toContain(firstId);
  });

  test('answering every send: SessionExpiredError after the fresh session', async () => {
    const fake = await h.fake({ script: () => act.fail('TROUPE_ERR_SESSION_EXPIRED') });
    const client = h.client([fake]);
    const error = await caught(client.delete('k'));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_SESSION_EXPIRED');
    expect(new Set(sessionIds(fake.requests('delete'))).size).toBe(2);
  });

  test('answering a resend (the first send may have applied): SessionExpiredError', async () => {
    let sends = 0;
    const fake = await h.fake({
      script: () => (++sends === 1 ? act.cut : act.fail('TROUPE_ERR_SESSION_EXPIRED')),
    });
    const client = h.client([fake]);
    const error = await caught(client.update('k', 1));
    expect(error).toBeInstanceOf(SessionExpiredError);
    expect(fake.requests('update')).toHaveLength(2);
    expect(new Set(sessionIds(fake.requests('update'))).size).toBe(1);
  });

  test('a session answered SessionStale is not used again', async () => {
    let stale = true;
    const fake = await h.fake({
      script: () => {
        const action = stale ? act.fail('TROUPE_ERR_SESSION_STALE') : act.store();
        stale = false;
        return action;
      },
    });
    const client = h.client([fake]);
    await expect(client.update('k', 1)).rejects.toBeInstanceOf(SessionStaleError);
    await client.update('k', 2);
    const [staleId, nextId] = sessionIds(fake.requests('update'));
    expect(nextId).not.toBe(staleId);
  });
});

describe('refused connections', () => {
  test('a wrong token: UnauthorizedError (close 4003) for all pending', async () => {
    const fake = await h.fake({ token: 'sesame' });
    const client = h.client([fake], { token: 'wrong' });
    const errors = await Promise.all([caught(client.get('a')), caught(client.update('b', 1))]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(UnauthorizedError);
      expect(error).toHaveProperty('code', 'TROUPE_ERR_UNAUTHORIZED');
    }
    expect(fake.welcomed).toBe(0);
    // Final: the client does not try again; later calls get the same error.
    expect(await caught(client.get('c'))).toBeInstanceOf(UnauthorizedError);
    expect(client.status().state).toBe('closed');
  });

  test('a missing token: UnauthorizedError; the right one is welcomed', async () => {
    const fake = await h.fake({ token: 'sesame' });
    expect(await caught(h.client([fake]).get('k'))).toBeInstanceOf(UnauthorizedError);
    await expect(h.client([fake], { token: 'sesame' }).get('k')).resolves.toMatchObject({
      exists: false,
    });
  });

  test('close 4002: ProtocolVersionError', async () => {
    const fake = await h.fake();
    fake.refuse(4002);
    const error = await caught(h.client([fake]).update('k', 1));
    expect(error).toBeInstanceOf(ProtocolVersionError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_PROTOCOL_VERSION');
  });
});

describe('client-side errors', () => {
  test('more than inflightMax + queueMax pending: OverloadedError, at once', async () => {
    const fake = await h.fake({ script: () => act.silent });
    const client = h.client([fake], { inflightMax: 2, queueMax: 3 });
    const pending = Array.from({ length: 5 }, (_, i) => caught(client.get(`k${i}`)));
    const error = await caught(client.get('one too many'));
    expect(error).toBeInstanceOf(OverloadedError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_OVERLOADED');
    await fake.waitForRequests(2);
    expect(client.status()).toMatchObject({ inflight: 2, queued: 3 });
    await client.close();
    expect(await Promise.all(pending)).toEqual(pending.map(() => expect.any(ClientClosedError)));
  });

  test('close(): pending requests (in flight and queued) and later calls', async () => {
    const fake = await h.fake({ script: () => act.silent });
    const client = h.client([fake], { inflightMax: 1 });
    const inFlight = caught(client.update('a', 1));
    const queued = caught(client.get('b'));
    await fake.waitForRequests(1);
    await client.close();
    for (const error of [await inFlight, await queued]) {
      expect(error).toBeInstanceOf(ClientClosedError);
      expect(error).toHaveProperty('code', 'TROUPE_ERR_CLIENT_CLOSED');
    }
    const after = [
      client.get('k'),
      client.update('k', 1),
      client.create('k', 1),
      client.delete('k'),
      client.modify('k', () => 1),
    ];
    for (const error of await Promise.all(after.map(caught))) {
      expect(error).toBeInstanceOf(ClientClosedError);
    }
    expect(client.status().state).toBe('closed');
    expect(fake.received).toHaveLength(1);
  });

  test.each([
    ['a function', () => 1],
    ['a function inside an object', { f: () => 1 }],
    ['a function inside a Map', new Map([['f', () => 1]])],
    ['a symbol', Symbol('s')],
    ['a cycle', (() => ({ self: {} }) as { self: unknown })()],
  ])('a value msgpack cannot carry (%s): InvalidArgumentError, nothing sent', async (_, v) => {
    if (typeof v === 'object' && v !== null && 'self' in v) v.self = v;
    const fake = await h.fake();
    const client = h.client([fake]);
    for (const call of [() => client.update('k', v), () => client.create('k', v)]) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = call();
      }).not.toThrow();
      const error = await caught(promise as Promise<unknown>);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toHaveProperty('code', 'TROUPE_ERR_INVALID_ARGUMENT');
    }
    await expect(client.modify('k', () => v)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(fake.requests('update')).toHaveLength(0);
    expect(fake.requests('create')).toHaveLength(0);
  });

  test.each([
    ['balancers empty', { balancers: [] }],
    ['requestTimeoutMs 0', { requestTimeoutMs: 0 }],
    ['requestTimeoutMs -5', { requestTimeoutMs: -5 }],
    ['requestTimeoutMs NaN', { requestTimeoutMs: Number.NaN }],
    ['connectTimeoutMs 0', { connectTimeoutMs: 0 }],
    ['connectTimeoutMs Infinity', { connectTimeoutMs: Number.POSITIVE_INFINITY }],
    ['inflightMax 0', { inflightMax: 0 }],
    ['queueMax -1', { queueMax: -1 }],
  ])('bad options (%s): InvalidArgumentError from createClient', (_, bad) => {
    const options = { ...quick, balancers: ['ws://127.0.0.1:1'], ...bad };
    expect(() => createClient(options)).toThrow(InvalidArgumentError);
  });

  test('modify() meeting attemptsMax conflicts: ContentionError', async () => {
    const fake = await h.fake({
      script: (r) =>
        r.request.op === 'update'
          ? act.fail('TROUPE_ERR_VERSION_CONFLICT', { currentVersion: 9 })
          : act.store(),
    });
    const client = h.client([fake]);
    const error = await caught(client.modify('k', () => 1, { attemptsMax: 3 }));
    expect(error).toBeInstanceOf(ContentionError);
    expect(error).toHaveProperty('code', 'TROUPE_ERR_CONTENTION');
    expect(fake.requests('update')).toHaveLength(3);
    expect(fake.requests('get')).toHaveLength(3);
  });
});

describe('what the client cannot decode or connect with', () => {
  test('a stored value that is not msgpack: TroupeError TROUPE_ERR_DECODE', async () => {
    const garbage = new Uint8Array([0x92, 0x01]); // an array of two with one element
    const reply = { ok: true, op: 'get', value: garbage, version: 3 } as const;
    const fake = await h.fake({ script: () => act.reply(reply) });
    const client = h.client([fake]);
    await expect(client.get('broken')).rejects.toMatchObject({ code: 'TROUPE_ERR_DECODE' });
  });

  test('no WebSocket implementation: every call fails with InvalidArgumentError', async () => {
    const pipeline = new Pipeline({
      balancers: ['ws://127.0.0.1:1'],
      token: null,
      name: 'no-websocket',
      connectTimeoutMs: 1_000,
      keepalive: { idleMs: 1_000, timeoutMs: 3_000 },
      inflightMax: 4,
      queueMax: 4,
      backoff: { initialMs: 1, maxMs: 2 },
      webSocket: () => Promise.reject(new Error('Cannot find package ws')),
      random: () => 0.5,
      onStatus: () => {},
    });
    const error = await pipeline.execute({ op: 'get', key: 'k' }, 1_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String((error as Error).message)).toContain('no WebSocket implementation');
  });
});
