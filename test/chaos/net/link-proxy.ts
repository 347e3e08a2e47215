// A fault-injecting TCP proxy for ONE directed link of the chaos harness: it listens on a
// loopback port and forwards every accepted connection to one target, so the harness can cut,
// half-cut, refuse or slow the traffic between two real node processes without touching them.
// Every fault applies at once to the connections already open and to the ones that come later.
//
// Why each fault looks the way it does:
// - drop() is a network partition as TCP sees it: bytes (and FIN/RST news) vanish in both
//   directions, nothing is reset or closed, and a connection opened during it is accepted but
//   never reaches the target (its SYN would not have crossed either).
// - dropOneWay(direction) cuts one direction only (a one-way partition).
// - A direction once cut stays cut for the life of that connection, and heal() (or delay())
//   DESTROYS every connection that lived through a cut, with an RST. Real TCP would retransmit
//   what a partition lost; this proxy cannot, so such a byte stream has a hole and must not
//   resume, as if the peer had timed the connection out. New connections forward normally.
// - refuse() is a crashed host's port: new connections are accepted and reset at once (the
//   port stays ours, so no other process can take it meanwhile) and existing ones are reset.
// - delay(ms) holds every chunk ms before passing it on, in order per direction; held bytes are
//   bounded per connection direction (`queueBytesMax`), past which the reading socket is paused
//   until the queue drains, as TCP flow control would do. A slow reader on the far side pauses
//   the near side too (the sink's back-pressure), so memory never grows without bound.
// Ends cross like bytes, after the bytes before them: a FIN as a FIN (half-close works), a
// reset or a failed dial to the target as a reset. (libuv reports an RST that lands right
// behind data as a plain EOF, so such a reset crosses as a FIN.)
// It never throws on socket errors and logs nothing: it is a test utility.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** `toTarget`: bytes from the connecting side to the target; `fromTarget`: the replies. */
export type LinkDirection = 'toTarget' | 'fromTarget';

export type LinkMode =
  | { readonly kind: 'heal' }
  | { readonly kind: 'drop' }
  | { readonly kind: 'dropOneWay'; readonly direction: LinkDirection }
  | { readonly kind: 'refuse' }
  | { readonly kind: 'delay'; readonly delayMs: number };

export interface LinkProxyOptions {
  /** Names the link in reports, e.g. `n1->n2`. */
  readonly name: string;
  readonly targetPort: number;
  readonly targetHost?: string;
  /** The port to listen on (127.0.0.1); 0, the default, lets the kernel choose. */
  readonly port?: number;
  /** Bytes held per connection direction before its reader is paused (default 16 MiB). */
  readonly queueBytesMax?: number;
}

/** The proxy's running totals (mutable inside; callers get a readonly snapshot). */
interface CounterState {
  /** Bytes handed to the far socket, per direction. */
  forwardedBytes: Record<LinkDirection, number>;
  /** Bytes read and never handed on (cut directions, queues discarded by a fault). */
  droppedBytes: Record<LinkDirection, number>;
  connectionsAccepted: number;
  /** Connections reset at accept because the link refused. */
  connectionsRefused: number;
  /** Connections the proxy reset as a fault (heal after a cut, refuse); not close(). */
  connectionsDestroyed: number;
  /** The most bytes one connection direction ever held. */
  queuedBytesHighWater: number;
  /** Times a reading socket was paused because its queue or its sink was full. */
  readerPauses: number;
}

/** Plain data for tests and reports; a snapshot, not live. */
export type LinkCounters = {
  readonly [K in keyof CounterState]: Readonly<CounterState[K]>;
} & {
  readonly connectionsOpen: number;
  /** Bytes held by delay queues right now. */
  readonly queuedBytes: number;
};

const queueBytesMaxDefault = 16 * 1024 * 1024;

/** What a pipe needs from its link: the current delay, the bound, the shared counters. */
interface PipeContext {
  readonly counters: CounterState;
  readonly queueBytesMax: number;
  delayMs(): number;
}

/** FIN ('ended'), closed after a clean end ('closed'), or closed by an error ('reset'). */
type SourceState = 'open' | 'ended' | 'closed' | 'reset';

interface HeldChunk {
  readonly bytes: Buffer;
  readonly dueMs: number;
}

/** One direction of one connection: reads `source`, writes `sink`, holds chunks while delayed. */
class Pipe {
  /** Once cut, this direction discards everything for the rest of the connection's life. */
  cut = false;
  queuedBytes = 0;
  private readonly queue: HeldChunk[] = [];
  private lastDueMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private sinkBlocked = false;
  private pausedByUs = false;
  /** What the source did last, and what of it the sink was already told. */
  private sourceState: SourceState = 'open';
  private sinkState: SourceState = 'open';

  constructor(
    private readonly direction: LinkDirection,
    private readonly source: Socket | undefined,
    private readonly sink: Socket | undefined,
    private readonly context: PipeContext,
  ) {}

  onData(bytes: Buffer): void {
    if (this.cut) {
      this.context.counters.droppedBytes[this.direction] += bytes.length;
      return;
    }
    const delayMs = this.context.delayMs();
    if (this.queue.length === 0 && !this.sinkBlocked && delayMs === 0) return this.write(bytes);
    // Never earlier than the chunk ahead of it: a shorter delay must not reorder the stream.
    const dueMs = Math.max(performance.now() + delayMs, this.lastDueMs);
    this.lastDueMs = dueMs;
    this.queue.push({ bytes, dueMs });
    this.queuedBytes += bytes.length;
    const counters = this.context.counters;
    counters.queuedBytesHighWater = Math.max(counters.queuedBytesHighWater, this.queuedBytes);
    if (this.queuedBytes > this.context.queueBytesMax) this.pauseSource();
    this.flush();
  }

  /** The source sent FIN, is gone, or was reset: tell the sink after the held bytes. */
  onSourceDone(state: Exclude<SourceState, 'open'>): void {
    // Through a cut the news is lost too: the far side keeps its connection until heal.
    if (this.cut) return;
    this.sourceState = state;
    if (this.queue.length === 0) this.finish();
  }

  /** Cuts this direction for good: held bytes are lost, as packets in flight would be. */
  cutNow(): void {
    this.cut = true;
    this.discardQueue();
    // Reading goes on (and discards) as it would into a partition: nothing pushes back.
    this.resumeSource();
  }

  /** The connection is gone: stop the timer and count what was still held as dropped. */
  dispose(): void {
    this.discardQueue();
  }

  private discardQueue(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.context.counters.droppedBytes[this.direction] += this.queuedBytes;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.lastDueMs = 0;
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const nowMs = performance.now();
    while (this.queue.length > 0 && !this.sinkBlocked && this.queue[0]!.dueMs <= nowMs) {
      const chunk = this.queue.shift()!;
      this.queuedBytes -= chunk.bytes.length;
      this.write(chunk.bytes);
    }
    if (this.queue.length === 0) this.finish();
    else if (!this.sinkBlocked) {
      const waitMs = Math.max(0, this.queue[0]!.dueMs - nowMs);
      this.timer = setTimeout(() => this.flush(), waitMs);
    }
    this.resumeSource();
  }

  private write(bytes: Buffer): void {
    const sink = this.sink;
    if (sink === undefined || sink.destroyed) {
      this.context.counters.droppedBytes[this.direction] += bytes.length;
      return;
    }
    this.context.counters.forwardedBytes[this.direction] += bytes.length;
    if (sink.write(bytes)) return;
    // The far side reads slower than this side writes: hold the reader until it catches up.
    this.sinkBlocked = true;
    this.pauseSource();
    sink.once('drain', () => {
      this.sinkBlocked = false;
      if (!this.cut) this.flush();
    });
  }

  private finish(): void {
    const sink = this.sink;
    if (sink === undefined || sink.destroyed || this.sourceState === this.sinkState) return;
    this.sinkState = this.sourceState;
    if (this.sourceState === 'ended') sink.end();
    // The source is gone for good: nobody will read what the sink would send back.
    else if (this.sourceState === 'closed') sink.end(() => sink.destroy());
    // A reset (or a dial that failed) is passed on as a reset, as a refused port looks.
    else if (this.sourceState === 'reset') reset(sink);
  }

  private pauseSource(): void {
    if (this.pausedByUs || this.source === undefined) return;
    this.pausedByUs = true;
    this.context.counters.readerPauses++;
    this.source.pause();
  }

  private resumeSource(): void {
    if (!this.pausedByUs) return;
    if (!this.cut && (this.sinkBlocked || this.queuedBytes > this.context.queueBytesMax)) return;
    this.pausedByUs = false;
    this.source?.resume();
  }
}

interface Connection {
  readonly client: Socket;
  /** Absent when the connection arrived while `toTarget` was cut: it is never dialled. */
  readonly target: Socket | undefined;
  readonly toTarget: Pipe;
  readonly fromTarget: Pipe;
  socketsOpen: number;
}

function cuts(mode: LinkMode, direction: LinkDirection): boolean {
  return mode.kind === 'drop' || (mode.kind === 'dropOneWay' && mode.direction === direction);
}

/** Closes with an RST where possible (a peer that gave up), never throwing. */
function reset(socket: Socket | undefined): void {
  if (socket === undefined || socket.destroyed) return;
  try {
    // A socket still connecting has no connection to reset: abandoning the dial is enough.
    if (!socket.connecting && typeof socket.resetAndDestroy === 'function') {
      socket.resetAndDestroy();
    } else socket.destroy();
  } catch {
    socket.destroy();
  }
}

const ignore = (): void => {};

export class LinkProxy {
  private currentMode: LinkMode = { kind: 'heal' };
  private readonly connections = new Set<Connection>();
  private closing: Promise<void> | undefined;
  private readonly counts: CounterState = {
    forwardedBytes: { toTarget: 0, fromTarget: 0 },
    droppedBytes: { toTarget: 0, fromTarget: 0 },
    connectionsAccepted: 0,
    connectionsRefused: 0,
    connectionsDestroyed: 0,
    queuedBytesHighWater: 0,
    readerPauses: 0,
  };
  private readonly pipeContext: PipeContext;

  private constructor(
    readonly name: string,
    private readonly server: Server,
    readonly port: number,
    private readonly targetHost: string,
    private readonly targetPort: number,
    queueBytesMax: number,
  ) {
    this.pipeContext = {
      counters: this.counts,
      queueBytesMax,
      delayMs: () => (this.currentMode.kind === 'delay' ? this.currentMode.delayMs : 0),
    };
    server.on('connection', (client) => this.accept(client));
  }

  static async start(options: LinkProxyOptions): Promise<LinkProxy> {
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    // After listening, a server error (e.g. EMFILE on accept) must not crash the test run.
    server.on('error', ignore);
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
    const targetHost = options.targetHost ?? '127.0.0.1';
    const queueBytesMax = options.queueBytesMax ?? queueBytesMaxDefault;
    return new LinkProxy(
      options.name,
      server,
      address.port,
      targetHost,
      options.targetPort,
      queueBytesMax,
    );
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get mode(): LinkMode {
    return this.currentMode;
  }

  get counters(): LinkCounters {
    let queuedBytes = 0;
    for (const connection of this.connections) {
      queuedBytes += connection.toTarget.queuedBytes + connection.fromTarget.queuedBytes;
    }
    return {
      ...this.counts,
      forwardedBytes: { ...this.counts.forwardedBytes },
      droppedBytes: { ...this.counts.droppedBytes },
      connectionsOpen: this.connections.size,
      queuedBytes,
    };
  }

  /** Forward both ways; connections that lived through a cut are reset. */
  heal(): void {
    this.switchTo({ kind: 'heal' });
  }

  /** A partition: both directions discard; connections stay open. */
  drop(): void {
    this.switchTo({ kind: 'drop' });
  }

  /** A one-way partition: only `direction` discards. */
  dropOneWay(direction: LinkDirection): void {
    this.switchTo({ kind: 'dropOneWay', direction });
  }

  /** A crashed host's port: existing connections are reset, new ones reset at accept. */
  refuse(): void {
    this.switchTo({ kind: 'refuse' });
  }

  /** Latency on every chunk both ways, in order; connections that lived through a cut reset. */
  delay(delayMs: number): void {
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError(`delay must be a finite number of ms >= 0, got ${delayMs}`);
    }
    this.switchTo({ kind: 'delay', delayMs });
  }

  /** Stops listening and destroys every connection and timer. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const connection of [...this.connections]) this.release(connection);
      this.server.close(() => resolve());
    });
    return this.closing;
  }

  private switchTo(mode: LinkMode): void {
    if (this.closing !== undefined) return;
    this.currentMode = mode;
    for (const connection of [...this.connections]) {
      if (mode.kind === 'refuse') {
        this.kill(connection);
        continue;
      }
      const cutToTarget = cuts(mode, 'toTarget');
      const cutFromTarget = cuts(mode, 'fromTarget');
      if (!cutToTarget && !cutFromTarget) {
        // Leaving the partition: a stream with a hole in it must not carry on.
        if (connection.toTarget.cut || connection.fromTarget.cut) this.kill(connection);
        continue;
      }
      if (cutToTarget) connection.toTarget.cutNow();
      if (cutFromTarget) connection.fromTarget.cutNow();
    }
  }

  private accept(client: Socket): void {
    client.on('error', ignore);
    // Without it Nagle's algorithm holds small frames back until the peer's delayed ACK,
    // adding tens of ms to every request that crosses the proxy.
    client.setNoDelay(true);
    if (this.closing !== undefined) {
      client.destroy();
      return;
    }
    if (this.currentMode.kind === 'refuse') {
      this.counts.connectionsRefused++;
      return reset(client);
    }
    this.counts.connectionsAccepted++;
    const dial = !cuts(this.currentMode, 'toTarget');
    const target = dial
      ? connect({
          port: this.targetPort,
          host: this.targetHost,
          allowHalfOpen: true,
          noDelay: true,
        })
      : undefined;
    target?.on('error', ignore);
    const connection: Connection = {
      client,
      target,
      toTarget: new Pipe('toTarget', client, target, this.pipeContext),
      fromTarget: new Pipe('fromTarget', target, client, this.pipeContext),
      socketsOpen: target === undefined ? 1 : 2,
    };
    this.connections.add(connection);
    if (!dial) connection.toTarget.cutNow();
    if (cuts(this.currentMode, 'fromTarget')) connection.fromTarget.cutNow();
    this.wire(connection, client, connection.toTarget);
    if (target !== undefined) this.wire(connection, target, connection.fromTarget);
  }

  /** Feeds `socket`'s bytes and its end into `pipe` (the direction it is the source of). */
  private wire(connection: Connection, socket: Socket, pipe: Pipe): void {
    socket.on('data', (bytes: Buffer) => pipe.onData(bytes));
    socket.on('end', () => pipe.onSourceDone('ended'));
    socket.on('close', (hadError: boolean) => {
      if (!this.connections.has(connection)) return;
      pipe.onSourceDone(hadError ? 'reset' : 'closed');
      connection.socketsOpen--;
      if (connection.socketsOpen === 0) this.forget(connection);
    });
  }

  /** A fault ends the connection: both sides see a reset. */
  private kill(connection: Connection): void {
    this.counts.connectionsDestroyed++;
    this.forget(connection);
    reset(connection.client);
    reset(connection.target);
  }

  /** Teardown by close(): not a fault, so not counted. */
  private release(connection: Connection): void {
    this.forget(connection);
    connection.client.destroy();
    connection.target?.destroy();
  }

  private forget(connection: Connection): void {
    this.connections.delete(connection);
    connection.toTarget.dispose();
    connection.fromTarget.dispose();
  }
}
