// Reads the lines a child appends to its log file, from where the file ended when the child
// started. `troupe up` gives each child the log file itself as stdout and stderr rather than a
// pipe, so a child never depends on the supervisor being alive to read its output (a supervisor
// killed with SIGKILL would leave it writing into a broken pipe); the supervisor finds the
// child's `ready` line here instead. Polled, and bounded per poll and per line.
import { closeSync, openSync, readSync } from 'node:fs';

const pollMs = 50;
/** Read at most this much per poll; the rest waits for the next one. */
const chunkBytesMax = 64 * 1024;
/** A longer line is not a `ready` line: it is dropped rather than buffered without end. */
const lineBytesMax = 64 * 1024;

export class LogTail {
  private offset: number;
  private partial = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly buffer = Buffer.alloc(chunkBytesMax);

  /** Tails `path` from byte `fromOffset`, calling `onLine` with each complete line. */
  constructor(
    private readonly path: string,
    fromOffset: number,
    private readonly onLine: (line: string) => void,
  ) {
    this.offset = fromOffset;
    this.timer = setInterval(() => this.poll(), pollMs);
    this.timer.unref();
  }

  /** Reads what has been appended since the last poll. */
  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return;
    }
    try {
      const read = readSync(fd, this.buffer, 0, chunkBytesMax, this.offset);
      this.offset += read;
      this.take(this.buffer.subarray(0, read).toString('utf8'));
    } finally {
      closeSync(fd);
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private take(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > lineBytesMax) this.partial = '';
    for (const line of lines) {
      if (this.timer === null) return;
      this.onLine(line);
    }
  }
}
