// A data dir the node must not start from is refused with DataDirError naming the file: another
// cluster's or node's identity, an unknown format version, store.mdb missing beside other files,
// damaged meta pages, a truncated file, and bytes overwritten anywhere in the middle. lmdb can
// crash on a damaged page; the open must still end in DataDirError (or, if the damage hit only
// unused space, in a store that reads back intact), never in a dead process.
import { copyFileSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { DataDirError } from '../../src/storage/errors.js';
import type { NodeStore } from '../../src/storage/node-store.js';
import { encodeRecord } from '../../src/storage/records.js';
import { closeStore, entries, openStore, seededRandom, tempDir } from './helpers.js';

const conf = { voters: ['n1', 'n2', 'n3'], learners: [] };

/** The DataDirError that `open` throws (failing the test if it throws anything else). */
function refusal(open: () => unknown): DataDirError {
  try {
    open();
  } catch (error) {
    expect(error).toBeInstanceOf(DataDirError);
    const refused = error as DataDirError;
    expect(refused.code).toBe('TROUPE_ERR_DATA_DIR');
    expect(refused.message).toBe(`data dir refused: ${refused.file}: ${refused.problem}`);
    return refused;
  }
  throw new Error('expected the data dir to be refused');
}

/** A store with a few groups, a log, records and sessions, written and closed. */
async function populatedDir(): Promise<string> {
  const dir = tempDir();
  const store = openStore(dir);
  store.write(() => {
    for (const id of ['meta', 's0', 's1', 's2']) {
      const group = store.group(id);
      group.bootstrap(conf, new Uint8Array(64).fill(7));
      group.append(entries(2, 120, 1, 300));
      group.setHardState({ term: 1, vote: 'n1', commit: 100 });
      for (let i = 0; i < 150; i++) {
        group.kv().put(`key-${i}`, { value: new Uint8Array(120).fill(i), version: i + 2 });
      }
      group.kv().putSession('session-1', {
        seq: 1,
        outcome: { ok: true, op: 'create', version: 2, prevVersion: 0 },
        lastSeenMs: 5,
      });
    }
    // One value that can be found in the file: a record test damages on purpose.
    store
      .group('s0')
      .kv()
      .put('marked', { value: new Uint8Array(256).fill(0xab), version: 1 });
  });
  await closeStore(store);
  return dir;
}

/** Everything the store holds, read through the public API. */
function dump(store: NodeStore): unknown {
  return store.groupIds().map((id) => {
    const group = store.group(id);
    const [lo, hi] = [group.firstIndex(), group.lastIndex() + 1];
    return {
      id,
      state: group.initialState(),
      log: group.entries(lo, hi, Number.POSITIVE_INFINITY),
      snapshot: group.snapshot(),
      records: [...group.kv().records()],
      sessions: [...group.kv().sessions()],
    };
  });
}

describe('identity', () => {
  it('refuses a data dir of another cluster, naming both cluster ids and store.mdb', async () => {
    const dir = tempDir();
    await closeStore(openStore(dir));
    const error = refusal(() => openStore(dir, { clusterId: 'cluster-b' }));
    expect(error.file).toBe(join(dir, 'store.mdb'));
    expect(error.problem).toBe('identity: belongs to cluster cluster-a, not cluster-b');
  });

  it('refuses a data dir of another node of the same cluster', async () => {
    const dir = tempDir();
    await closeStore(openStore(dir));
    const error = refusal(() => openStore(dir, { nodeId: 'n2' }));
    expect(error.file.endsWith('store.mdb')).toBe(true);
    expect(error.problem).toBe('identity: belongs to node n1, not n2 (cluster cluster-a)');
  });

  it('refuses an unknown format version', async () => {
    const dir = tempDir();
    await closeStore(openStore(dir));
    await rewriteRecord(join(dir, 'store.mdb'), ['identity'], {
      clusterId: 'cluster-a',
      nodeId: 'n1',
      formatVersion: 99,
      createdAtMs: 0,
    });
    const error = refusal(() => openStore(dir));
    expect(error.file.endsWith('store.mdb')).toBe(true);
    expect(error.problem).toBe('format version 99 unknown (this build reads 1)');
  });

  it('creates a missing data dir and writes the identity; reopening with it works', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const store = openStore(dir);
    expect(store.identity).toMatchObject({
      clusterId: 'cluster-a',
      nodeId: 'n1',
      formatVersion: 1,
    });
    expect(existsSync(join(dir, 'store.mdb'))).toBe(true);
    expect(existsSync(join(dir, 'store.mdb-lock'))).toBe(true);
    await closeStore(store);
    expect(openStore(dir).identity).toEqual(store.identity);
  });
});

/** Puts a checksummed record straight into store.mdb, as another version might have. */
async function rewriteRecord(file: string, key: string[], value: unknown): Promise<void> {
  const env = open({ path: file, compression: false, overlappingSync: false });
  const db = env.openDB('node', { encoding: 'binary', keyEncoding: 'ordered-binary' });
  env.transactionSync(() => db.putSync(key, encodeRecord(key, value)));
  await env.close();
}

describe('files', () => {
  it('refuses a data dir that holds other files but no store.mdb', async () => {
    const dir = tempDir();
    await closeStore(openStore(dir));
    const moved = join(tempDir(), 'elsewhere.mdb');
    copyFileSync(join(dir, 'store.mdb'), moved);
    writeFileSync(join(dir, 'store.mdb'), '');
    const emptied = refusal(() => openStore(dir));
    expect(emptied.problem).toMatch(/meta page 0 unreadable/);
    const lonely = tempDir();
    writeFileSync(join(lonely, 'store.mdb-lock'), 'x');
    const error = refusal(() => openStore(lonely));
    expect(error.file).toBe(join(lonely, 'store.mdb'));
    expect(error.problem).toBe('missing, but the dir holds store.mdb-lock');
  });

  it('refuses damaged meta pages: bad magic, wrong version, not a meta page', async () => {
    const dir = await populatedDir();
    const pristine = readFileSync(join(dir, 'store.mdb'));
    const pageSize = pristine.readUInt32LE(48);
    const newer = pristine.readBigUInt64LE(152) > pristine.readBigUInt64LE(pageSize + 152) ? 0 : 1;
    const cases = [
      { offset: 24, bytes: [0, 0, 0, 0], problem: /meta page 0: bad magic/ },
      { offset: pageSize + 28, bytes: [9, 0], problem: /meta page 1: lmdb data version 9/ },
      { offset: pageSize + 18, bytes: [0, 0], problem: /meta page 1: not a meta page/ },
      {
        offset: pageSize + 96 + 40,
        bytes: [0xff, 0xff, 0xff, 0x7f],
        problem: /meta page 1: root page/,
      },
      // The newer meta page claiming millions of pages the file lacks.
      { offset: newer * pageSize + 146, bytes: [0x7f], problem: /^truncated/ },
    ];
    for (const { offset, bytes, problem } of cases) {
      const copy = tempDir();
      const damaged = Buffer.from(pristine);
      damaged.set(bytes, offset);
      writeFileSync(join(copy, 'store.mdb'), damaged);
      const error = refusal(() => openStore(copy));
      expect(error.file).toBe(join(copy, 'store.mdb'));
      expect(error.problem).toMatch(problem);
    }
  });

  it('refuses store.mdb truncated to half its size, naming the file', async () => {
    const dir = await populatedDir();
    const file = join(dir, 'store.mdb');
    truncateSync(file, Math.floor(readFileSync(file).byteLength / 2));
    const error = refusal(() => openStore(dir));
    expect(error.file).toBe(file);
    expect(error.problem).toMatch(/^truncated \(\d+ bytes, its meta page says \d+\)/);
  });
});

type Damage = 'record' | 'page' | 'bytes';

/** Overwrites part of `file` as `damage` says, with a seeded pattern; returns what it did. */
function damageFile(file: Buffer, damage: Damage, random: () => number): string {
  const pageSize = file.readUInt32LE(48);
  const pages = Math.floor(file.byteLength / pageSize);
  const fill = Math.floor(random() * 3);
  const byte = (): number => (fill === 0 ? 0 : fill === 1 ? 0xff : Math.floor(random() * 256));
  let offset: number;
  let length: number;
  if (damage === 'record') {
    offset = file.indexOf(Buffer.alloc(256, 0xab)) + Math.floor(random() * 256);
    length = 1;
  } else if (damage === 'page') {
    offset = (2 + Math.floor(random() * (pages - 2))) * pageSize;
    length = pageSize;
  } else {
    length = 1 + Math.floor(random() * 64);
    offset = 2 * pageSize + Math.floor(random() * (file.byteLength - 2 * pageSize - length));
  }
  for (let i = 0; i < length; i++)
    file[offset + i] = damage === 'record' ? file[offset + i]! ^ 0x10 : byte();
  return `${damage} at ${offset} (${length} bytes, fill ${fill})`;
}

describe('a file a little shorter than its meta page says', () => {
  /** The newer meta page's offset, and its last page number. */
  function newerMeta(file: Buffer): { at: number; lastPage: number } {
    const pageSize = file.readUInt32LE(48);
    const at = file.readBigUInt64LE(152) > file.readBigUInt64LE(pageSize + 152) ? 0 : pageSize;
    return { at, lastPage: Number(file.readBigUInt64LE(at + 144)) };
  }

  it('opens when only free pages are missing (lmdb never writes "loose" tail pages)', async () => {
    const dir = await populatedDir();
    const expected = dump(openStore(dir));
    const file = readFileSync(join(dir, 'store.mdb'));
    const { at, lastPage } = newerMeta(file);
    // Claim three more pages than the file has, as a transaction that freed them would.
    file.writeBigUInt64LE(BigInt(lastPage + 3), at + 144);
    const copy = tempDir();
    writeFileSync(join(copy, 'store.mdb'), file);
    expect(dump(openStore(copy))).toEqual(expected);
  });

  it('refuses it when a missing page is in use, naming the truncation', async () => {
    const dir = await populatedDir();
    const file = join(dir, 'store.mdb');
    const pageSize = readFileSync(file).readUInt32LE(48);
    truncateSync(file, readFileSync(file).byteLength - pageSize);
    const error = refusal(() => openStore(dir));
    expect(error.file).toBe(file);
    expect(error.problem).toMatch(/^truncated \(\d+ bytes, its meta page says \d+\)/);
  });
});

describe('damaged bytes', () => {
  it('refuses a flipped byte inside a record, naming the record', async () => {
    const dir = await populatedDir();
    const pristine = readFileSync(join(dir, 'store.mdb'));
    for (let seed = 1; seed <= 3; seed++) {
      const copy = tempDir();
      const damaged = Buffer.from(pristine);
      damageFile(damaged, 'record', seededRandom(seed));
      writeFileSync(join(copy, 'store.mdb'), damaged);
      const error = refusal(() => openStore(copy));
      expect(error.file).toBe(join(copy, 'store.mdb'));
      expect(error.problem).toMatch(/^record kv \["s0","marked"\]: checksum mismatch/);
    }
  });

  it('ends every open of a store damaged at seeded offsets in refusal or intact data', async () => {
    const dir = await populatedDir();
    const pristine = readFileSync(join(dir, 'store.mdb'));
    const expected = dump(openStore(dir));
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const random = seededRandom(seed);
      const copy = tempDir();
      const damaged = Buffer.from(pristine);
      const what = damageFile(damaged, seed % 2 === 0 ? 'page' : 'bytes', random);
      writeFileSync(join(copy, 'store.mdb'), damaged);
      try {
        const store = openStore(copy);
        expect(dump(store), what).toEqual(expected);
        outcomes.push('intact');
      } catch (error) {
        expect(error, what).toBeInstanceOf(DataDirError);
        expect((error as DataDirError).file, what).toBe(join(copy, 'store.mdb'));
        outcomes.push((error as DataDirError).problem);
      }
    }
    const refused = outcomes.filter((outcome) => outcome !== 'intact');
    expect(refused.length).toBeGreaterThanOrEqual(20);
    // Some damage kills lmdb itself (SIGABRT on a zeroed page): the child takes the crash.
    expect(refused.some((problem) => /verification scan died of SIG/.test(problem))).toBe(true);
    // Pages lost without a checksum error are caught by lmdb's own record count.
    expect(refused.some((problem) => /lmdb counts/.test(problem))).toBe(true);
    expect(refused.some((problem) => /checksum mismatch/.test(problem))).toBe(true);
  }, 60_000);
});
