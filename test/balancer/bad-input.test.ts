// Bad input to a running balancer from its clients: a frame that is text, not msgpack, too big
// or of the wrong shape closes that connection with its documented code and reason; a bad or
// missing hello (wrong proto, bad token: 4003; none in time: 1008) is refused at the
// handshake; a request that is malformed, oversized or reuses an id in flight gets a typed
// error under its id and the connection carries on; a client that floods requests is held to its in-flight bound, one
// that stops reading is closed as a slow consumer, and connections over the limit are refused.
// After each, another client on the same balancer is still served.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BalancerWelcome, KvReply, KvRequest } from '@troupe/client/protocol';
import { ClientCloseCode, kvLimits, requestsPerFrameMax, shardOf } from '@troupe/client/protocol';
import { SecretKey } from '@troupe/runtime';
import { signClientToken } from '@troupe/runtime/internal';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type WebSocket from 'ws';
import { BalancerConnection, type Closed, openSocket } from '../harness/balancer-client.js';
import { TestBalancers } from '../harness/balancers.js';
import { TestCluster } from '../harness/cluster.js';
import { eventually } from '../harness/eventually.js';
import { pack, unpack } from '../harness/kv-test-client.js';
import { stopAll } from '../harness/processes.js';

const packr = new Packr({ useRecords: false });

// b1 takes every case but the token and the connection limit, with small bounds so the flood
// and the slow consumer run fast; b2 requires a client token and allows few connections.
const inflightMax = 32;
const frameBytesMax = 1024 * 1024;
const slowConsumerBytes = 1024 * 1024;
const helloTimeoutMs = 500;
const connectionsMax = 4;
// b2 checks client tokens signed with this key (the file, as an operator would give it).
const tokenKey = 'bad-input-test-token-signing-key';
const tokenKeyFile = join(mkdtempSync(join(tmpdir(), 'troupe-bad-input-')), 'token-key');
writeFileSync(tokenKeyFile, `${tokenKey}\n`, { mode: 0o600 });
const token = signClientToken(SecretKey.from(tokenKey), {
  sub: 'bad-input-test',
  iat: Math.floor(Date.now() / 1_000),
  exp: Math.floor(Date.now() / 1_000) + 3_600,
});
const b1Args = [
  ...['--client-inflight-max', String(inflightMax)],
  ...['--frame-bytes-max', String(frameBytesMax)],
  ...['--client-hello-timeout-ms', String(helloTimeoutMs)],
  ...['--client-outbound-pause-bytes', String(64 * 1024)],
  ...['--slow-consumer-bytes', String(slowConsumerBytes)],
];
const b2Args = [
  ...['--client-token-key-file', tokenKeyFile],
  ...['--client-connections-max', String(connectionsMax)],
];

let cluster: TestCluster;
let balancers: TestBalancers;
/** Well-behaved clients that live through the whole file, one per balancer. */
let good1: BalancerConnection;
let good2: BalancerConnection;
const raws: RawClient[] = [];

beforeAll(async () => {
  cluster = await TestCluster.create({ size: 3 });
  await cluster.startAll();
  balancers = await TestBalancers.create(cluster, 2);
  await Promise.all([balancers.start('b1', b1Args), balancers.start('b2', b2Args)]);
  good1 = await BalancerConnection.open(url('b1'));
  good2 = await BalancerConnection.open(url('b2'), { token });
  await warmUp(good1);
}, 60_000);

afterAll(async () => {
  for (const raw of raws) raw.ws.terminate();
  good1?.close();
  good2?.close();
  await balancers?.killAll();
  await cluster?.destroy();
  await stopAll();
});

/**
 * Writes a key of every shard until all succeed, so the cases start with every leader known.
 * Short deadlines and retries: a request held in the balancer's first moments can wait out
 * its whole deadline (reported separately), which is not what this file tests.
 */
async function warmUp(connection: BalancerConnection): Promise<void> {
  const pending = new Map<number, string>();
  for (let i = 0; pending.size < connection.welcome.shardCount; i++) {
    pending.set(shardOf(`warm-up-${i}`, connection.welcome.shardCount), `warm-up-${i}`);
  }
  const deadlineMs = Date.now() + 30_000;
  while (pending.size > 0) {
    expect(Date.now()).toBeLessThan(deadlineMs);
    await Promise.all(
      [...pending].map(async ([shard, key]) => {
        if ((await connection.request(put(key), 1_000)).ok) pending.delete(shard);
      }),
    );
  }
}

function url(id: string): string {
  return balancers.balancer(id).url;
}

function put(key: string, value: unknown = key): KvRequest {
  return { op: 'update', key, value: pack(value) };
}

/** An update then a get of `key` on `connection` both succeed. */
async function expectServed(connection: BalancerConnection, key: string): Promise<void> {
  expect(await connection.request(put(key))).toMatchObject({ ok: true, op: 'update' });
  const read = await connection.request({ op: 'get', key });
  expect(read).toMatchObject({ ok: true, op: 'get' });
  expect(read.ok && read.op === 'get' && read.value !== null && unpack(read.value)).toBe(key);
}

/** Resolves once `check` holds; fails the case after `timeoutMs`. */
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadlineMs = Date.now() + timeoutMs;
  while (!(await check())) {
    expect(Date.now()).toBeLessThan(deadlineMs);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The value of an unlabelled gauge or the sum of a counter's series matching `labels`. */
function metric(text: string, name: string, labels = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || !line.includes(labels)) continue;
    // Label values may hold spaces (reason="close 4008"): the value is after the last one.
    const series = line.slice(0, line.lastIndexOf(' '));
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    expect(value).not.toBeNaN();
    if (series === name || series.startsWith(`${name}{`)) total += value;
  }
  return total;
}

/** A client socket that sends whatever a case gives it and records what comes back. */
class RawClient {
  welcome: BalancerWelcome | null = null;
  readonly replies: (readonly [number, KvReply])[] = [];
  closedWith: Closed | null = null;
  readonly closed: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    raws.push(this);
    // A reset while closing shows up as the close code; nothing else to do with it.
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        resolve(this.closedWith);
      });
    });
    ws.on('message', (data) => {
      const decoded = packr.unpack(data as Buffer) as unknown;
      if (this.welcome === null) this.welcome = decoded as BalancerWelcome;
      else this.replies.push(...(decoded as [number, KvReply][]));
    });
  }

  /** A socket that has sent nothing yet. */
  static async connect(target: string): Promise<RawClient> {
    return new RawClient(await openSocket(target));
  }

  /** A socket past the hello: the balancer answered with its welcome. */
  static async open(target: string, hello: Record<string, unknown> = {}): Promise<RawClient> {
    const client = await RawClient.connect(target);
    client.send({ type: 'hello', proto: 1, name: 'bad-input', ...hello });
    await eventually(() => client.welcome !== null || client.closedWith !== null, 5_000);
    expect(client.welcome).toMatchObject({ type: 'welcome' });
    return client;
  }

  send(value: unknown): void {
    this.ws.send(packr.pack(value));
  }

  /** Every reply under `id` once `count` of them have come. */
  async repliesTo(id: number, count = 1): Promise<KvReply[]> {
    const under = () => this.replies.filter(([i]) => i === id).map(([, reply]) => reply);
    await eventually(() => under().length >= count || this.closedWith !== null, 10_000);
    expect(this.closedWith).toBeNull();
    return under();
  }
}

/** Does `act` on `client` and expects the balancer to close it with `code`. */
async function expectClosed(
  client: RawClient,
  act: (client: RawClient) => void,
  code: number,
): Promise<Closed> {
  act(client);
  const closed = await client.closed;
  expect(closed.code).toBe(code);
  return closed;
}

describe('frames that close the connection', () => {
  test('a text frame: closed with 1003, and others are still served', async () => {
    const client = await RawClient.open(url('b1'));
    const text = '[[1,{"op":"get","key":"a"}]]';
    await expectClosed(client, (c) => c.ws.send(text), ClientCloseCode.unsupportedData);
    await expectServed(good1, 'after-text');
  });

  test('bytes that are not msgpack: closed with 1007, and others are still served', async () => {
    // 0xc1 is the one byte msgpack never uses; a truncated map is not msgpack either.
    for (const bytes of [[0xc1], [0x91, 0xc1], [0x81, 0xa2, 0x6f]]) {
      const client = await RawClient.open(url('b1'));
      const send = (c: RawClient) => c.ws.send(Buffer.from(bytes));
      await expectClosed(client, send, ClientCloseCode.invalidPayload);
    }
    const beforeHello = await RawClient.connect(url('b1'));
    const send = (c: RawClient) => c.ws.send(Buffer.from([0xc1]));
    await expectClosed(beforeHello, send, ClientCloseCode.invalidPayload);
    await expectServed(good1, 'after-not-msgpack');
  });

  test('a frame over --frame-bytes-max: closed with 1009, and others are served', async () => {
    const client = await RawClient.open(url('b1'));
    const frame = packr.pack([[1, put('big', 'x'.repeat(frameBytesMax))]]);
    expect(frame.byteLength).toBeGreaterThan(frameBytesMax);
    await expectClosed(client, (c) => c.ws.send(frame), ClientCloseCode.messageTooBig);
    await expectServed(good1, 'after-too-big');
  });

  const badFrames: [string, unknown, RegExp][] = [
    ['a map', { 1: { op: 'get', key: 'a' } }, /must be an array/],
    ['an empty array', [], /1 to 1024 requests/],
    ['a tuple with a negative id', [[-1, { op: 'get', key: 'a' }]], /id must be a uint32/],
    ['a tuple of one item', [[1]], /must be \[id, request\]/],
    ['a tuple with a bad timeout', [[1, { op: 'get', key: 'a' }, 0]], /timeout must be/],
    [
      'more items than requestsPerFrameMax',
      Array.from({ length: requestsPerFrameMax + 1 }, (_, i) => [i, { op: 'get', key: 'a' }]),
      /1 to 1024 requests/,
    ],
  ];
  for (const [name, frame, reason] of badFrames) {
    test(`a frame that is ${name}: closed with 4000 and a reason`, async () => {
      const client = await RawClient.open(url('b1'));
      const closed = await expectClosed(client, (c) => c.send(frame), ClientCloseCode.badFrame);
      expect(closed.reason).toMatch(reason);
      await expectServed(good1, `after-bad-frame-${name}`);
    });
  }
});

describe('the handshake', () => {
  test('a first frame that is not a hello: closed with 4004', async () => {
    for (const first of [[[1, { op: 'get', key: 'a' }]], { type: 'welcome', proto: 1 }]) {
      const client = await RawClient.connect(url('b1'));
      const closed = await expectClosed(client, (c) => c.send(first), ClientCloseCode.handshake);
      expect(closed.reason).toMatch(/hello/);
    }
    await expectServed(good1, 'after-no-hello');
  });

  test('no hello within --client-hello-timeout-ms: closed with 1008', async () => {
    const client = await RawClient.connect(url('b1'));
    const closed = await expectClosed(client, () => {}, ClientCloseCode.unauthenticated);
    expect(closed.reason).toBe(`not authenticated: no hello within ${helloTimeoutMs} ms`);
    await expectServed(good1, 'after-hello-timeout');
  });

  test('a hello of another protocol version: closed with 4002', async () => {
    for (const proto of [2, 0, '1', undefined]) {
      const client = await RawClient.connect(url('b1'));
      const hello = { type: 'hello', proto, name: 'old' };
      const closed = await expectClosed(
        client,
        (c) => c.send(hello),
        ClientCloseCode.protocolVersion,
      );
      expect(closed.reason).toMatch(/protocol 1 only/);
    }
    await expectServed(good1, 'after-proto');
  });

  test('a wrong or missing token: closed with 4003; a signed token is welcomed', async () => {
    for (const hello of [{ token: 'wrong' }, { token: `${token}x` }, { token: null }, {}]) {
      const client = await RawClient.connect(url('b2'));
      const send = (c: RawClient) => c.send({ type: 'hello', proto: 1, ...hello });
      const closed = await expectClosed(client, send, ClientCloseCode.unauthorized);
      expect(closed.reason).toMatch(/token/);
    }
    const welcomed = await RawClient.open(url('b2'), { token });
    expect(welcomed.welcome).toMatchObject({ type: 'welcome', proto: 1, balancerId: 'b2' });
    welcomed.ws.close(1000);
    await welcomed.closed;
    await expectServed(good2, 'after-token');
  });
});

describe('requests that get a typed error', () => {
  test('an unknown operation: TROUPE_ERR_INVALID_ARGUMENT, the connection carries on', async () => {
    const client = await BalancerConnection.open(url('b1'));
    const reply = await client.request({ op: 'increment', key: 'a' } as unknown as KvRequest);
    expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_INVALID_ARGUMENT' });
    expect(reply.ok === false && reply.message).toMatch(/unknown operation/);
    await expectServed(client, 'same-connection-after-unknown-op');
    client.close();
    await expectServed(good1, 'after-unknown-op');
  });

  test('a ping is answered by the balancer itself; a ping with extra fields is refused', async () => {
    const client = await RawClient.open(url('b1'));
    client.send([
      [7, { op: 'ping' }],
      [8, { op: 'ping', key: 'x' }],
    ]);
    expect(await client.repliesTo(7)).toEqual([{ ok: true, op: 'ping' }]);
    expect(await client.repliesTo(8)).toMatchObject([
      { ok: false, code: 'TROUPE_ERR_INVALID_ARGUMENT' },
    ]);
    client.ws.close();
    await expectServed(good1, 'after-ping');
  });

  test('an oversized key or value: KEY_TOO_LARGE, VALUE_TOO_LARGE, it carries on', async () => {
    const client = await BalancerConnection.open(url('b1'));
    // 513 two-byte characters: under the limit in characters, over it in UTF-8 bytes.
    const longKey = 'é'.repeat(kvLimits.keyBytesMax / 2 + 1);
    for (const request of [{ op: 'get', key: longKey }, put(longKey)] satisfies KvRequest[]) {
      const reply = await client.request(request);
      expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_KEY_TOO_LARGE' });
    }
    const value = new Uint8Array(kvLimits.valueBytesMax + 1);
    for (const op of ['update', 'create'] as const) {
      const reply = await client.request({ op, key: 'big-value', value });
      expect(reply).toMatchObject({ ok: false, code: 'TROUPE_ERR_VALUE_TOO_LARGE' });
    }
    await expectServed(client, 'same-connection-after-oversized');
    client.close();
    await expectServed(good1, 'after-oversized');
  });

  test('a request id already in flight: TROUPE_ERR_INVALID_ARGUMENT for the duplicate', async () => {
    const client = await RawClient.open(url('b1'));
    // Both in one frame: the first is routed (in flight) when the second is read.
    client.send([
      [7, put('duplicate-id', 'first')],
      [7, { op: 'get', key: 'duplicate-id' }],
    ]);
    const replies = await client.repliesTo(7, 2);
    expect(replies).toHaveLength(2);
    expect(replies).toContainEqual(expect.objectContaining({ ok: true, op: 'update' }));
    const duplicate = replies.find((r) => !r.ok);
    expect(duplicate).toMatchObject({ ok: false, code: 'TROUPE_ERR_INVALID_ARGUMENT' });
    expect(duplicate?.ok === false && duplicate.message).toMatch(/in flight/);
    // The id is free again once answered, and the connection carries on.
    client.send([[7, { op: 'get', key: 'duplicate-id' }]]);
    const again = await client.repliesTo(7, 3);
    expect(again[2]).toMatchObject({ ok: true, op: 'get' });
    client.ws.close(1000);
    await expectServed(good1, 'after-duplicate-id');
  });
});

describe('clients that overload the balancer', () => {
  test('a flood is held to --client-inflight-max while another client is served', async () => {
    const total = 20_000;
    const perFrame = 1_000;
    const flooder = await RawClient.open(url('b1'));
    // Stale reads: the bound is the balancer's whatever the request; these keep the case short.
    for (let first = 1; first <= total; first += perFrame) {
      const frame = Array.from({ length: perFrame }, (_, i) => {
        const id = first + i;
        return [id, { op: 'get', key: `flood-${id % 97}`, consistency: 'stale' }];
      });
      flooder.send(frame);
    }
    // Sampled between the other client's requests, so every in-flight request is the flood's.
    let inflightPeak = 0;
    let servedDuringFlood = 0;
    const deadlineMs = Date.now() + 30_000;
    while (flooder.replies.length < total && flooder.closedWith === null) {
      expect(Date.now()).toBeLessThan(deadlineMs);
      const inflight = metric(await balancers.metrics('b1'), 'troupe_balancer_inflight_requests');
      expect(inflight).toBeLessThanOrEqual(inflightMax);
      inflightPeak = Math.max(inflightPeak, inflight);
      await expectServed(good1, 'during-flood');
      if (flooder.replies.length < total) servedDuringFlood++;
    }
    expect(flooder.closedWith).toBeNull();
    expect(servedDuringFlood).toBeGreaterThan(0);
    expect(inflightPeak).toBeGreaterThan(0);
    const ids = new Set(flooder.replies.map(([id]) => id));
    expect(ids.size).toBe(total);
    expect(flooder.replies.every(([, reply]) => reply.ok)).toBe(true);
    flooder.ws.close(1000);
  });

  test('a client that stops reading is closed with 4008; others are served', async () => {
    const key = 'slow-consumer-value';
    expect(await good1.request(put(key, 'v'.repeat(200 * 1024)))).toMatchObject({ ok: true });
    const slow = await RawClient.open(url('b1'));
    slow.ws.pause();
    for (let first = 1; first <= 1_000; first += 100) {
      slow.send(Array.from({ length: 100 }, (_, i) => [first + i, { op: 'get', key }]));
    }
    // The other client is served while the slow one's replies pile up, until it is closed.
    const rejected = async () =>
      metric(await balancers.metrics('b1'), 'troupe_balancer_client_rejections_total', '4008');
    await until(async () => {
      await expectServed(good1, 'during-slow-consumer');
      return (await rejected()) > 0;
    }, 20_000);
    await expectServed(good1, 'after-slow-consumer');
    // Reading again, the client gets the replies sent before the close, then the close.
    slow.ws.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(ClientCloseCode.slowConsumer);
    expect(closed.reason).toMatch(/^\d+ bytes of replies not read$/);
    expect(Number.parseInt(closed.reason, 10)).toBeGreaterThan(slowConsumerBytes);
  });

  test('connections over --client-connections-max are closed with 1013', async () => {
    const connections = async () =>
      metric(await balancers.metrics('b2'), 'troupe_balancer_client_connections');
    // Only good2 is left from earlier cases once their closes are through.
    await until(async () => (await connections()) === 1);
    const open: RawClient[] = [];
    for (let i = 1; i < connectionsMax; i++) open.push(await RawClient.open(url('b2'), { token }));
    const refused = await RawClient.connect(url('b2'));
    const closed = await expectClosed(refused, () => {}, ClientCloseCode.tryAgainLater);
    expect(closed.reason).toMatch(/too many/);
    await expectServed(good2, 'after-connection-limit');
    // A connection that closes frees its place.
    open[0]?.ws.close(1000);
    await until(async () => (await connections()) === connectionsMax - 1);
    const next = await RawClient.open(url('b2'), { token });
    expect(next.welcome).toMatchObject({ type: 'welcome' });
  });
});
