// Everything the CLI writes goes through here: plain lines, JSON lines for --json, the one
// error line on stderr, and the live status line of `troupe up` (redrawn in place on a
// terminal, printed only when it changes otherwise, so logs and pipes stay readable).
export interface Out {
  line(text: string): void;
  json(value: unknown): void;
  error(text: string): void;
}

export const stdio: Out = {
  line: (text) => void process.stdout.write(`${text}\n`),
  json: (value) => void process.stdout.write(`${JSON.stringify(value)}\n`),
  error: (text) => void process.stderr.write(`troupe: ${text}\n`),
};

const clearLine = '\r\x1b[2K';

/** A status line that a terminal redraws in place and a pipe gets only on change. */
export class LiveLine {
  private last: string | null = null;
  private drawn = false;

  constructor(
    private readonly out: Out,
    private readonly tty: boolean,
  ) {}

  show(text: string): void {
    if (this.tty) {
      process.stdout.write(`${clearLine}${text}`);
      this.drawn = true;
      return;
    }
    if (text === this.last) return;
    this.last = text;
    this.out.line(text);
  }

  /** Call before printing anything else, so the line does not run into it. */
  clear(): void {
    if (!this.drawn) return;
    process.stdout.write(clearLine);
    this.drawn = false;
  }
}
