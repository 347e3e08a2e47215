// The Partitioner over real LinkProxies for five nodes (20 directed links, none carrying
// traffic): each scenario (isolate, split, bridge, oneWay, healAll) switches exactly the links
// it names and no other, faults compose, bad scenarios are refused, and describe() is the fault
// set as plain data. One test sends real bytes to show what oneWay means on both links.
import { connect, createServer, Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { eventually } from '../../harness/eventually.js';
import { freePort } from '../../harness/ports.js';
import { type LinkMode, LinkProxy } from './link-proxy.js';
import { Partitioner } from './partition.js';

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
let partitioner: Partitioner;

beforeAll(async () => {
  // Nothing listens on the target: these tests look only at modes, and no connection is made.
  const targetPort = await freePort();
  const links = new Map<string, LinkProxy>();
  for (const from of nodes) {
    for (const to of nodes) {
      if (from === to) continue;
      links.set(`${from}->${to}`, await LinkProxy.start({ name: `${from}->${to}`, targetPort }));
    }
  }
  partitioner = new Partitioner(links);
});

afterAll(async () => {
  await partitioner?.close();
});

beforeEach(() => {
  partitioner.healAll();
});

function label(mode: LinkMode): string {
  if (mode.kind === 'dropOneWay') return `dropOneWay:${mode.direction}`;
  if (mode.kind === 'delay') return `delay:${mode.delayMs}`;
  return mode.kind;
}

/** Every link that is not healed, as 'from->to': label. */
function faults(): Record<string, string> {
  const result: Record<string, string> = {};
  for (const from of nodes) {
    for (const to of nodes) {
      const mode = partitioner.link(from, to)?.mode;
      if (mode !== undefined && mode.kind !== 'heal') result[`${from}->${to}`] = label(mode);
    }
  }
  return result;
}

/** Both directed links between each pair, all with `mode`. */
function between(pairs: Array<[string, string]>, mode: string): Record<string, string> {
  return Object.fromEntries(
    pairs.flatMap(([a, b]) => [`${a}->${b}`, `${b}->${a}`]).map((k) => [k, mode]),
  );
}

describe('Partitioner set-up', () => {
  test('knows every node and every link', () => {
    expect(partitioner.nodes).toEqual(nodes);
    expect(partitioner.link('n1', 'n2')?.name).toBe('n1->n2');
    expect(partitioner.link('n1', 'n1')).toBeUndefined();
    expect(faults()).toEqual({});
  });

  test('refuses link keys that are not from->to between two nodes', () => {
    for (const key of ['n1-n2', 'n1->n1', 'a->b->c', '->b', 'a->']) {
      expect(() => new Partitioner(new Map([[key, partitioner.link('n1', 'n2')!]]))).toThrow(
        /link key/,
      );
    }
  });
});

describe('Partitioner isolate and split', () => {
  test('isolate drops exactly the links to and from the node', () => {
    partitioner.isolate('n3');
    expect(faults()).toEqual(
      between(
        [
          ['n3', 'n1'],
          ['n3', 'n2'],
          ['n3', 'n4'],
          ['n3', 'n5'],
        ],
        'drop',
      ),
    );
  });

  test('isolations compose until healAll', () => {
    partitioner.isolate('n1');
    partitioner.isolate('n2');
    expect(Object.keys(faults())).toHaveLength(14);
    expect(faults()['n1->n2']).toBe('drop');
    expect(faults()['n3->n4']).toBeUndefined();
    partitioner.healAll();
    expect(faults()).toEqual({});
    expect(partitioner.describe()).toEqual([]);
  });

  test('split drops the links between the groups both ways and none within them', () => {
    partitioner.split(['n1', 'n2'], ['n3', 'n4', 'n5']);
    const crossing: Array<[string, string]> = [];
    for (const a of ['n1', 'n2']) for (const b of ['n3', 'n4', 'n5']) crossing.push([a, b]);
    expect(faults()).toEqual(between(crossing, 'drop'));
  });

  test('split refuses overlapping, empty or unknown groups and switches nothing', () => {
    expect(() => partitioner.split(['n1', 'n2'], ['n2', 'n3'])).toThrow(/both groups: n2/);
    expect(() => partitioner.split([], ['n2'])).toThrow(/empty/);
    expect(() => partitioner.split(['n1'], ['n9'])).toThrow(/unknown node n9/);
    expect(() => partitioner.isolate('n0')).toThrow(/unknown node n0/);
    expect(faults()).toEqual({});
  });
});

describe('Partitioner bridge, oneWay and describe', () => {
  test('bridge cuts the sides apart and keeps both talking to the bridge node', () => {
    partitioner.isolate('n3');
    partitioner.link('n1', 'n3')!.delay(5);
    partitioner.bridge(['n1', 'n2'], 'n3', ['n4', 'n5']);
    expect(faults()).toEqual({
      ...between(
        [
          ['n1', 'n4'],
          ['n1', 'n5'],
          ['n2', 'n4'],
          ['n2', 'n5'],
        ],
        'drop',
      ),
      // A link to the bridge that already carried traffic both ways is left as it was.
      'n1->n3': 'delay:5',
    });
  });

  test('bridge between single nodes, and never with the bridge on a side', () => {
    partitioner.bridge('n1', 'n2', 'n3');
    expect(faults()).toEqual(between([['n1', 'n3']], 'drop'));
    expect(() => partitioner.bridge('n1', 'n1', 'n3')).toThrow(/bridge node n1/);
  });

  test('oneWay cuts that direction on both links and composes into a full cut', () => {
    partitioner.oneWay('n1', 'n2');
    expect(faults()).toEqual({
      'n1->n2': 'dropOneWay:toTarget',
      'n2->n1': 'dropOneWay:fromTarget',
    });
    partitioner.oneWay('n1', 'n2');
    expect(Object.keys(faults())).toHaveLength(2);
    partitioner.oneWay('n2', 'n1');
    expect(faults()).toEqual(between([['n1', 'n2']], 'drop'));
  });

  test('describe() is the fault set as plain data, sorted by link', () => {
    partitioner.oneWay('n2', 'n1');
    partitioner.isolate('n5');
    partitioner.link('n3', 'n4')!.delay(7);
    const described = partitioner.describe();
    expect(JSON.parse(JSON.stringify(described))).toEqual(described);
    expect(described.map((fault) => fault.link)).toEqual([
      'n1->n2',
      'n1->n5',
      'n2->n1',
      'n2->n5',
      'n3->n4',
      'n3->n5',
      'n4->n5',
      'n5->n1',
      'n5->n2',
      'n5->n3',
      'n5->n4',
    ]);
    expect(described[0]).toEqual({
      link: 'n1->n2',
      from: 'n1',
      to: 'n2',
      mode: { kind: 'dropOneWay', direction: 'fromTarget' },
    });
    expect(described[4]?.mode).toEqual({ kind: 'delay', delayMs: 7 });
  });
});

describe('Partitioner over real bytes', () => {
  const opened: Array<Server | Socket> = [];
  const proxies: LinkProxy[] = [];

  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    // Sockets first: a server's close() waits for its connections.
    const items = opened.splice(0);
    for (const item of items) if (!(item instanceof Server)) item.destroy();
    for (const item of items) {
      if (item instanceof Server) await new Promise((resolve) => item.close(resolve));
    }
  });

  /** A node's listening port: records what each connection brings, keeps its sockets. */
  async function node(): Promise<{ port: number; received: () => string; sockets: Socket[] }> {
    const sockets: Socket[] = [];
    let received = '';
    const server = createServer((socket) => {
      sockets.push(socket);
      opened.push(socket);
      socket.on('error', () => {});
      socket.on('data', (bytes: Buffer) => {
        received += bytes.toString();
      });
    });
    opened.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port');
    return { port: address.port, received: () => received, sockets };
  }

  test('oneWay(a, b) loses what a sends to b on both links and nothing b sends to a', async () => {
    const [a, b] = [await node(), await node()];
    const aToB = await LinkProxy.start({ name: 'a->b', targetPort: b.port });
    proxies.push(aToB);
    const bToA = await LinkProxy.start({ name: 'b->a', targetPort: a.port });
    proxies.push(bToA);
    const pair = new Partitioner(
      new Map([
        ['a->b', aToB],
        ['b->a', bToA],
      ]),
    );
    pair.oneWay('a', 'b');
    // b dials a: b's request arrives, a's answer is lost.
    let answer = '';
    const fromB = connect({ port: bToA.port, host: '127.0.0.1' });
    opened.push(fromB);
    fromB.on('error', () => {});
    fromB.on('data', (bytes: Buffer) => {
      answer += bytes.toString();
    });
    fromB.write('request from b');
    await eventually(() => a.received() === 'request from b', 5_000);
    a.sockets[0]!.write('answer from a');
    await eventually(() => bToA.counters.droppedBytes.fromTarget === 13, 5_000);
    // a dials b: a's request is lost before b ever sees a connection.
    const fromA = connect({ port: aToB.port, host: '127.0.0.1' });
    opened.push(fromA);
    fromA.on('error', () => {});
    fromA.write('request from a');
    await eventually(() => aToB.counters.droppedBytes.toTarget === 14, 5_000);
    expect([answer, b.received(), b.sockets.length]).toEqual(['', '', 0]);
  });
});
