// modify(), the client's read-modify-write, against a fake balancer whose store does real
// compare-and-set: fn gets the current value and version (undefined and 0 when absent), the
// write carries ifVersion = that version; on a VersionConflict (another writer got in between)
// it reads again and calls fn with the new value, until the conflict clears; fn throwing ends
// it with that error and writes nothing.
import { describe, expect, test } from 'vitest';
import type { UpdateRequest } from '../src/protocol/index.js';
import { encodeValue } from '../src/values.js';
import { act, useHarness } from './fake-balancer.js';

const h = useHarness(17);

describe('modify', () => {
  test('an absent key: fn gets (undefined, 0) and the write is ifVersion 0', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    const calls: unknown[][] = [];
    const result = await client.modify<number>('counter', (current, version) => {
      calls.push([current, version]);
      return (current ?? 0) + 1;
    });
    expect(calls).toEqual([[undefined, 0]]);
    expect(result).toEqual({ value: 1, version: 1, prevVersion: 0 });
    expect(fake.requests('update').map((u) => (u.request as UpdateRequest).ifVersion)).toEqual([0]);
    expect(await client.get('counter')).toEqual({ exists: true, value: 1, version: 1 });
  });

  test('fn gets the current value and version', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    await client.update('doc', { tags: new Set(['a']) });
    await client.update('other', 1);
    const calls: unknown[][] = [];
    const result = await client.modify<{ tags: Set<string> }>('doc', (current, version) => {
      calls.push([current, version]);
      return { tags: new Set([...(current?.tags ?? []), 'b']) };
    });
    expect(calls).toEqual([[{ tags: new Set(['a']) }, 1]]);
    expect(result).toMatchObject({ version: 3, prevVersion: 1 });
    expect((await client.get('doc')).value).toEqual({ tags: new Set(['a', 'b']) });
  });

  test('loops on version conflicts and succeeds once they clear', async () => {
    let competing = 2;
    const fake = await h.fake({
      script: (r, f) => {
        if (r.request.op === 'update' && r.request.key === 'n' && competing > 0) {
          // Another writer gets in between this client's read and its write.
          f.cluster.answer({ op: 'update', key: 'n', value: encodeValue(100 * competing--) });
        }
        return act.store();
      },
    });
    const client = h.client([fake]);
    const seen: unknown[][] = [];
    const result = await client.modify<number>('n', (current, version) => {
      seen.push([current, version]);
      return (current ?? 0) + 1;
    });
    expect(seen).toEqual([
      [undefined, 0],
      [200, 1],
      [100, 2],
    ]);
    expect(result).toEqual({ value: 101, version: 3, prevVersion: 2 });
    const ifVersions = fake.requests('update').map((u) => (u.request as UpdateRequest).ifVersion);
    expect(ifVersions).toEqual([0, 1, 2]);
    expect(fake.cluster.applied.map((w) => w.key)).toEqual(['n', 'n', 'n']);
  });

  test('conflicts up to attemptsMax - 1 still succeed', async () => {
    let conflicts = 3;
    const fake = await h.fake({
      script: (r) =>
        r.request.op === 'update' && conflicts-- > 0
          ? act.fail('TROUPE_ERR_VERSION_CONFLICT', { currentVersion: 0 })
          : act.store(),
    });
    const client = h.client([fake]);
    await expect(client.modify('k', () => 'v', { attemptsMax: 4 })).resolves.toMatchObject({
      value: 'v',
    });
    expect(fake.requests('update')).toHaveLength(4);
  });

  test('fn throwing ends modify with that error and writes nothing', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    const failure = new RangeError('no');
    await expect(
      client.modify('k', () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(fake.requests('update')).toHaveLength(0);
  });

  test('an error other than a conflict is not retried by modify', async () => {
    const fake = await h.fake({
      script: (r) =>
        r.request.op === 'update' ? act.fail('TROUPE_ERR_STORAGE_FULL') : act.store(),
    });
    const client = h.client([fake]);
    await expect(client.modify('k', () => 1)).rejects.toMatchObject({
      code: 'TROUPE_ERR_STORAGE_FULL',
    });
    expect(fake.requests('update')).toHaveLength(1);
  });

  test('attemptsMax below 1 is refused with InvalidArgumentError before anything is sent', async () => {
    const fake = await h.fake();
    const client = h.client([fake]);
    for (const attemptsMax of [0, -1, 1.5]) {
      await expect(client.modify('k', () => 1, { attemptsMax })).rejects.toMatchObject({
        code: 'TROUPE_ERR_INVALID_ARGUMENT',
      });
    }
    expect(fake.requests()).toEqual([]);
  });
});
