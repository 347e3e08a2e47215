// Bugs the fuzz targets found, each pinned by the exact input that broke a decoder (shrunk by
// fast-check, or cut down by hand where the shrunk one was kilobytes of noise around the same
// few bytes). Plain tests, so they stay even if a target's generators change.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { checkRequest, kvLimits } from '@troupe/client/protocol';
import type { Logger } from '@troupe/runtime';
import { CloseCode, defaultLimits } from '@troupe/runtime';
import { decodeFrame, parseFrame } from '@troupe/runtime/internal';
import { Packr } from 'msgpackr';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { ClientConnection } from '../../packages/balancer/src/client/client-connection.js';
import { readLayout } from '../../packages/cli/src/cluster-file.js';
import { DataDirError as CliDataDirError } from '../../packages/cli/src/errors.js';
import { CorruptEntryError } from '../../packages/node/src/kv/errors.js';
import { MemoryKvStore } from '../../packages/node/src/kv/memory-kv-store.js';
import { restoreKvSnapshot } from '../../packages/node/src/kv/snapshot.js';
import { DataDirError } from '../../packages/node/src/storage/errors.js';
import { raftKey } from '../../packages/node/src/storage/layout.js';
import { asApplied, asEntry } from '../../packages/node/src/storage/raft-records.js';
import { canonicalKey, decodeRecord } from '../../packages/node/src/storage/records.js';

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));
const packr = new Packr({ useRecords: false });
const toStringMap = '81a8746f537472696e6701'; // { toString: 1 }

describe('runtime frames', () => {
  it('an envelope kind that is a map (or holds one) is refused, not a TypeError', () => {
    for (const input of [`9191${toStringMap}`, `919191${toStringMap}`]) {
      const decoded = decodeFrame(hex(input));
      expect(decoded.ok).toBe(true);
      const parsed = decoded.ok ? parseFrame(decoded.value, defaultLimits) : null;
      expect(parsed).toMatchObject({ ok: false, closeCode: CloseCode.unknownKind });
    }
  });
});

describe('kv snapshots', () => {
  it('a format field that is a map is a CorruptEntryError', () => {
    const store = new MemoryKvStore();
    const restore = () => restoreKvSnapshot(hex('93de0001a8746f537472696e67019090'), store);
    expect(restore).toThrow(CorruptEntryError);
  });
});

describe('storage records', () => {
  it('an applied record whose learners hold a non-string (a self-holding array) is refused', () => {
    const input = hex(
      '03eff28e11de0002a5696e64657800a9636f6e665374617465de0002a6766f7465727394a26e30a36e3030' +
        'a36e3031a26e31a86c6561726e65727392a26e30d6690000000191d67000000001',
    );
    // The fuzz input's first byte picks the record kind (3: applied); the checksum is re-sealed.
    const payload = input.subarray(5);
    const key = raftKey('s0', 'applied');
    const record = new Uint8Array(4 + payload.length);
    new DataView(record.buffer).setUint32(0, crc32(payload, crc32(canonicalKey(key))));
    record.set(payload, 4);
    const value = decodeRecord({ file: '/store.mdb', db: 'raft' }, key, record);
    expect(() => asApplied('/store.mdb', 'applied', value)).toThrow(DataDirError);
  });

  it('a conf change entry of an unknown type is refused', () => {
    const entry = { type: 'confChange', term: 1, index: 7, change: { type: 'x', nodeId: 'n1' } };
    expect(() => asEntry('/store.mdb', 'entry 7', entry, 7)).toThrow(DataDirError);
  });
});

describe('cluster.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-regression-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (layout: unknown) =>
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify(layout));
  const node = { id: 'n1', zone: 'zone-a', port: 7101 };
  const balancers = [{ id: 'b1', port: 7000 }];

  it('a node whose zone is not a string, or an id that is a path, is refused', () => {
    const zone = [2.2260650523077606e76, null];
    for (const nodes of [[{ ...node, zone }], [{ ...node, id: '../../x' }]]) {
      write({ version: 1, shards: 249, replicationFactor: 1, nodes, balancers });
      expect(() => readLayout(dir)).toThrow(CliDataDirError);
    }
  });

  it('shards 0 is refused', () => {
    const layout = {
      version: 1,
      shards: 0,
      replicationFactor: 1,
      nodes: [{ id: 'n1', zone: 'zone-a', port: 7101 }],
      balancers: [{ id: 'b1', port: 7000 }],
    };
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify(layout));
    expect(() => readLayout(dir)).toThrow(CliDataDirError);
  });
});

/** The ws calls ClientConnection makes, checked as ws checks them (it throws otherwise). */
class StrictSocket extends EventEmitter {
  closed: { code: number; reason: string } | null = null;
  isPaused = false;
  bufferedAmount = 0;
  send(): void {}
  close(code: number, reason: string): void {
    // ws/lib/sender.js: a close reason over 123 bytes is a RangeError thrown to the caller.
    if (Buffer.byteLength(reason) > 123) throw new RangeError('close reason over 123 bytes');
    this.closed ??= { code, reason };
  }
  pause(): void {}
  resume(): void {}
  terminate(): void {}
}

function clientConnection(socket: StrictSocket): ClientConnection {
  const quiet = { warn() {}, debug() {}, error() {}, info() {} } as unknown as Logger;
  return new ClientConnection(socket as unknown as WebSocket, {
    route: () => new Promise(() => {}),
    welcome: () => null,
    tokenKey: null,
    logger: quiet,
    limits: {
      inflightMax: 8,
      handshakeTimeoutMs: 60_000,
      requestTimeoutMsDefault: 1_000,
      outboundPauseBytes: 1 << 20,
      slowConsumerBytes: 1 << 24,
      idleTimeoutMs: 60_000,
      keyBytesMax: kvLimits.keyBytesMax,
      valueBytesMax: kvLimits.valueBytesMax,
    },
    hooks: { requestFinished() {}, rejected() {}, inflightChanged() {} },
  });
}

describe('balancer client connection', () => {
  it('a request whose op is a bigint or an Object.prototype name is an error reply', () => {
    // The fuzz input's first byte 01 means "after a valid hello"; the rest is the frame.
    const input = hex(
      '019193ce07cf831ade0003a26f70d542ffffa36b6579ab4c2169736d375f4a615c42ab636f6e73697374' +
        '656e6379a57374616c65ce000131ae',
    );
    const frame = packr.unpack(input.subarray(1)) as [number, unknown, number][];
    const requests = [
      frame[0]![1],
      ...['constructor', 'toString', '__proto__'].map((op) => ({ op })),
    ];
    for (const request of requests) {
      const checked = checkRequest(request);
      expect(checked.ok).toBe(false);
      if (!checked.ok) expect(checked.error.code).toBe('TROUPE_ERR_INVALID_ARGUMENT');
    }
  });

  it('a close reason quoting non-ASCII input is cut to 123 bytes, not thrown by ws', () => {
    const socket = new StrictSocket();
    clientConnection(socket);
    // msgpack of [[65536, { k: 'é' x 60 }]] with a byte after it: msgpackr's error quotes it.
    const frame = Buffer.concat([packr.pack([[65_536, { k: 'é'.repeat(60) }]]), Buffer.of(0)]);
    try {
      expect(() => socket.emit('message', frame, true)).not.toThrow();
      expect(socket.closed?.code).toBe(1007);
    } finally {
      socket.emit('close');
    }
  });

  it('a frame holding itself (msgpackr structured-clone cycle) is refused, not walked forever', () => {
    const socket = new StrictSocket();
    clientConnection(socket);
    try {
      socket.emit('message', Buffer.from(hex('d6690000000191d67000000001')), true);
      expect(socket.closed).not.toBeNull();
    } finally {
      socket.emit('close');
    }
  });
});
