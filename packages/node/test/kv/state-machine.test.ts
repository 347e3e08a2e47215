// Semantics of the key-value state machine without sessions: every op on a present and an
// absent key, with ifVersion matching and not, versions equal to log indexes, and reads.
import { AssertionError } from '@troupe/runtime/assert';
import { describe, expect, it } from 'vitest';
import { bytes, create, remove, Shard, update } from './builders.js';

const a = bytes(1);
const b = bytes(2);

/** A shard where key `k` holds `a` at version 5 (written at index 5). */
function withKey(): Shard {
  const shard = new Shard();
  shard.apply(update('k', a), 5);
  return shard;
}

describe('read', () => {
  it('returns value null and version 0 for an absent key', () => {
    const shard = new Shard();
    expect(shard.machine.read('k', shard.store)).toEqual({
      ok: true,
      op: 'get',
      value: null,
      version: 0,
    });
  });

  it('returns the stored value and the index of its write as version', () => {
    const shard = withKey();
    expect(shard.machine.read('k', shard.store)).toEqual({
      ok: true,
      op: 'get',
      value: a,
      version: 5,
    });
  });
});

describe('update', () => {
  it('creates an absent key at version = index, prevVersion 0', () => {
    const shard = new Shard();
    expect(shard.apply(update('k', a), 3)).toEqual({
      ok: true,
      op: 'update',
      version: 3,
      prevVersion: 0,
    });
    expect(shard.read('k')).toEqual({ value: a, version: 3 });
  });

  it('overwrites a present key, reporting the replaced version', () => {
    const shard = withKey();
    expect(shard.apply(update('k', b), 9)).toEqual({
      ok: true,
      op: 'update',
      version: 9,
      prevVersion: 5,
    });
    expect(shard.read('k')).toEqual({ value: b, version: 9 });
  });

  it('applies when ifVersion matches the present version', () => {
    const shard = withKey();
    const outcome = shard.apply(update('k', b, { ifVersion: 5 }), 6);
    expect(outcome).toEqual({ ok: true, op: 'update', version: 6, prevVersion: 5 });
    expect(shard.read('k')).toEqual({ value: b, version: 6 });
  });

  it('fails with VERSION_MISMATCH and the current version when ifVersion differs', () => {
    const shard = withKey();
    const outcome = shard.apply(update('k', b, { ifVersion: 4 }), 6);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'TROUPE_ERR_VERSION_CONFLICT',
      currentVersion: 5,
    });
    expect(shard.read('k')).toEqual({ value: a, version: 5 });
  });

  it('applies with ifVersion 0 when the key is absent', () => {
    const shard = new Shard();
    expect(shard.apply(update('k', a, { ifVersion: 0 }), 2)).toMatchObject({
      ok: true,
      version: 2,
    });
    expect(shard.read('k')).toEqual({ value: a, version: 2 });
  });

  it('fails with ifVersion 0 when the key is present', () => {
    const shard = withKey();
    const outcome = shard.apply(update('k', b, { ifVersion: 0 }), 6);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'TROUPE_ERR_VERSION_CONFLICT',
      currentVersion: 5,
    });
    expect(shard.read('k')).toEqual({ value: a, version: 5 });
  });

  it('fails with currentVersion 0 when ifVersion is non-zero and the key is absent', () => {
    const shard = new Shard();
    const outcome = shard.apply(update('k', a, { ifVersion: 3 }), 4);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'TROUPE_ERR_VERSION_CONFLICT',
      currentVersion: 0,
    });
    expect(shard.read('k')).toEqual({ value: null, version: 0 });
  });
});

describe('create', () => {
  it('creates an absent key at version = index, prevVersion 0', () => {
    const shard = new Shard();
    expect(shard.apply(create('k', a), 7)).toEqual({
      ok: true,
      op: 'create',
      version: 7,
      prevVersion: 0,
    });
    expect(shard.read('k')).toEqual({ value: a, version: 7 });
  });

  it('fails with KEY_EXISTS and the current version when the key is present', () => {
    const shard = withKey();
    const outcome = shard.apply(create('k', b), 8);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'TROUPE_ERR_ALREADY_EXISTS',
      currentVersion: 5,
    });
    expect(shard.read('k')).toEqual({ value: a, version: 5 });
  });
});

describe('delete', () => {
  it('removes a present key, version = index, prevVersion = its version', () => {
    const shard = withKey();
    expect(shard.apply(remove('k'), 8)).toEqual({
      ok: true,
      op: 'delete',
      version: 8,
      prevVersion: 5,
    });
    expect(shard.read('k')).toEqual({ value: null, version: 0 });
  });

  it('succeeds on an absent key with prevVersion 0', () => {
    const shard = new Shard();
    expect(shard.apply(remove('k'), 4)).toEqual({
      ok: true,
      op: 'delete',
      version: 4,
      prevVersion: 0,
    });
    expect(shard.read('k')).toEqual({ value: null, version: 0 });
  });

  it('removes when ifVersion matches the present version', () => {
    const shard = withKey();
    expect(shard.apply(remove('k', { ifVersion: 5 }), 6)).toMatchObject({
      ok: true,
      prevVersion: 5,
    });
    expect(shard.read('k')).toEqual({ value: null, version: 0 });
  });

  it('fails with VERSION_MISMATCH and keeps the key when ifVersion differs', () => {
    const shard = withKey();
    const outcome = shard.apply(remove('k', { ifVersion: 2 }), 6);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'TROUPE_ERR_VERSION_CONFLICT',
      currentVersion: 5,
    });
    expect(shard.read('k')).toEqual({ value: a, version: 5 });
  });

  it('succeeds on an absent key with ifVersion 0', () => {
    const shard = new Shard();
    expect(shard.apply(remove('k', { ifVersion: 0 }), 2)).toMatchObject({
      ok: true,
      prevVersion: 0,
    });
  });

  it('fails on an absent key with a non-zero ifVersion, reporting currentVersion 0', () => {
    const shard = new Shard();
    const outcome = shard.apply(remove('k', { ifVersion: 1 }), 2);
    expect(outcome).toMatchObject({
      ok: false,
      code: 'TROUPE_ERR_VERSION_CONFLICT',
      currentVersion: 0,
    });
  });
});

describe('versions', () => {
  it('are the log indexes of the writes, growing across writes with gaps', () => {
    const shard = new Shard();
    const versions = [2, 3, 10, 11, 40].map((index) => {
      shard.apply(update('k', bytes(index)), index);
      return shard.read('k').version;
    });
    expect(versions).toEqual([2, 3, 10, 11, 40]);
  });

  it('keep growing across delete then create: the new key starts at the create index', () => {
    const shard = withKey();
    shard.apply(remove('k'), 6);
    expect(shard.apply(create('k', b), 7)).toEqual({
      ok: true,
      op: 'create',
      version: 7,
      prevVersion: 0,
    });
    expect(shard.read('k')).toEqual({ value: b, version: 7 });
  });

  it('are per key: a write to one key leaves the other key at its version', () => {
    const shard = withKey();
    shard.apply(update('other', b), 6);
    expect(shard.read('k').version).toBe(5);
    expect(shard.read('other').version).toBe(6);
  });

  it('must grow: applying at an index not above the key version is an assertion failure', () => {
    const shard = withKey();
    expect(() => shard.apply(update('k', b), 5)).toThrow(AssertionError);
    expect(() => shard.apply(update('k', b), 4)).toThrow(AssertionError);
  });

  it('a failed write does not change the key', () => {
    const shard = withKey();
    shard.apply(create('k', b), 6);
    shard.apply(update('k', b, { ifVersion: 1 }), 7);
    shard.apply(remove('k', { ifVersion: 1 }), 8);
    expect(shard.read('k')).toEqual({ value: a, version: 5 });
  });
});
