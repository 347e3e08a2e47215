// The hostile client of the flood test, in its own process so its work does not steal the
// honest workload's event loop. Started idle; SIGUSR1 starts the flood, SIGUSR2 pauses it
// (loops finish their current connection), SIGTERM stops it, prints the counts summed over
// every flood as one JSON line ({"event":"counts",...}) and exits 0.
//
//   flood-attacker.ts --target ws://host:port [--target ...] [--loops n] [--trickle-loops n]
//
// Each of `loops` loops per target connects with a raw TCP socket, sends the WebSocket
// upgrade followed at once by one bad frame (in turn: invalid msgpack, a header announcing a
// 64 MiB frame, a text frame, a bogus handshake), reads until the server closes, records the
// close code (or the HTTP status when refused before the upgrade), and reconnects at once.
// Each `trickle-loops` loop sends its upgrade request a byte every 100 ms (slowloris) and
// records how long the server took to cut it.
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Packr } from 'msgpackr';

const { values } = parseArgs({
  options: {
    target: { type: 'string', multiple: true },
    loops: { type: 'string' },
    'trickle-loops': { type: 'string' },
  },
});
const targets = (values.target ?? []).map((url) => new URL(url));
const loops = Number(values.loops ?? 8);
const trickleLoops = Number(values['trickle-loops'] ?? 1);
const packr = new Packr({ useRecords: false });

type Attack = 'garbage' | 'oversized' | 'text' | 'bogus-hello';
const attacks: readonly Attack[] = ['garbage', 'oversized', 'text', 'bogus-hello'];

/** target -> attack -> outcome ("close 1007", "http 503", "reset") -> count. */
const counts: Record<string, Record<string, Record<string, number>>> = {};
const trickleCutMs: Record<string, number[]> = {};
let running = false;
/** Bumped by every start, so loops of an earlier flood cannot run on into the next one. */
let generation = 0;
const trickling = new Set<Socket>();

function count(target: string, attack: string, outcome: string): void {
  const byAttack = counts[target] ?? {};
  const byOutcome = byAttack[attack] ?? {};
  byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
  byAttack[attack] = byOutcome;
  counts[target] = byAttack;
}

function upgradeRequest(url: URL): string {
  return (
    `GET / HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
  );
}

/** A masked client frame with a payload under 126 bytes. */
function frame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

function attackBytes(attack: Attack): Buffer {
  switch (attack) {
    case 'garbage':
      // 0xc1 is the one byte msgpack never uses.
      return frame(0x2, Buffer.from([0xc1, 0xc1, 0xc1, 0xc1]));
    case 'oversized': {
      // Only the header: a 64 MiB binary frame, far over any maxPayload. The server must
      // refuse on the header, before buffering anything.
      const header = Buffer.alloc(14);
      header[0] = 0x82;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(64n * 1024n * 1024n, 2);
      header.writeUInt32BE(0x12345678, 10);
      return header;
    }
    case 'text':
      return frame(0x1, Buffer.from('{"type":"hello","proto":1}'));
    case 'bogus-hello':
      return frame(0x2, packr.pack([{ type: 'hello', kind: 'hello', proto: 99, nodeId: 7 }]));
  }
}

/** What the server's bytes say: the HTTP status if not 101, else the first close code. */
function outcomeOf(bytes: Buffer): string {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return bytes.length === 0 ? 'closed-silently' : 'partial-head';
  const status = /^HTTP\/1\.1 (\d{3})/.exec(bytes.subarray(0, headEnd).toString('latin1'));
  if (status?.[1] !== '101') return `http ${status?.[1] ?? '?'}`;
  const rest = bytes.subarray(headEnd + 4);
  // Server frames are unmasked; the first one we provoke is the close frame.
  if (rest.length >= 4 && rest[0] === 0x88) return `close ${rest.readUInt16BE(2)}`;
  return rest.length === 0 ? 'upgraded-then-cut' : 'upgraded-other';
}

function attackOnce(url: URL, attack: Attack): Promise<void> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket: Socket = connect(Number(url.port), url.hostname, () => {
      socket.write(upgradeRequest(url));
      socket.write(attackBytes(attack));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.once('close', () => {
      count(url.host, attack, outcomeOf(Buffer.concat(chunks)));
      resolve();
    });
    // Past its close frame the server may wait for ours; do not keep a slot for that.
    socket.on('data', () => {
      const bytes = Buffer.concat(chunks);
      const headEnd = bytes.indexOf('\r\n\r\n');
      if (headEnd >= 0 && bytes[headEnd + 4] === 0x88) socket.destroy();
    });
  });
}

async function attackLoop(url: URL, offset: number, gen: number): Promise<void> {
  for (let n = offset; running && gen === generation; n++) {
    await attackOnce(url, attacks[n % attacks.length] as Attack);
  }
}

function trickleOnce(url: URL): Promise<void> {
  return new Promise((resolve) => {
    const request = Buffer.from(upgradeRequest(url));
    const startMs = performance.now();
    let sent = 0;
    const socket = connect(Number(url.port), url.hostname);
    const drip = setInterval(() => {
      if (sent < request.length) socket.write(request.subarray(sent, ++sent));
    }, 100);
    socket.on('error', () => {});
    trickling.add(socket);
    socket.once('close', () => {
      clearInterval(drip);
      // Destroyed by our own pause: not a cut by the server.
      if (!trickling.delete(socket)) return resolve();
      const cuts = trickleCutMs[url.host] ?? [];
      cuts.push(Math.round(performance.now() - startMs));
      trickleCutMs[url.host] = cuts;
      resolve();
    });
  });
}

async function trickleLoop(url: URL, gen: number): Promise<void> {
  while (running && gen === generation) await trickleOnce(url);
}

let done: Promise<unknown> = Promise.resolve();
process.on('SIGUSR1', () => {
  if (running) return;
  running = true;
  const gen = ++generation;
  const all: Promise<void>[] = [];
  for (const url of targets) {
    for (let i = 0; i < loops; i++) all.push(attackLoop(url, i, gen));
    for (let i = 0; i < trickleLoops; i++) all.push(trickleLoop(url, gen));
  }
  done = Promise.all(all);
  console.log(JSON.stringify({ event: 'flooding' }));
});
process.on('SIGUSR2', () => {
  running = false;
  for (const socket of [...trickling]) {
    trickling.delete(socket);
    socket.destroy();
  }
});
process.on('SIGTERM', () => {
  running = false;
  // Trickling sockets would take a handshake timeout to end; the counts so far are the result.
  void Promise.race([done, new Promise((r) => setTimeout(r, 500))]).then(() => {
    console.log(JSON.stringify({ event: 'counts', counts, trickleCutMs }));
    process.exit(0);
  });
});
console.log(JSON.stringify({ event: 'ready' }));
// Idle until told: keep the loop alive.
setInterval(() => {}, 60_000);
