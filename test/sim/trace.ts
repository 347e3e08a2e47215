// The simulator's event trace: one compact line per event (legend in docs/testing.md), kept
// in a bounded ring so a long run costs constant memory; printed when a seed fails.

export class Trace {
  private readonly lines: string[] = [];
  private next = 0;

  constructor(
    private readonly linesMax: number,
    /** When set, every line is also passed here as it happens (replay with --trace). */
    private readonly live?: (line: string) => void,
  ) {}

  add(tick: number, line: string): void {
    const text = `${String(tick).padStart(6, ' ')} ${line}`;
    this.live?.(text);
    if (this.lines.length < this.linesMax) {
      this.lines.push(text);
    } else {
      this.lines[this.next] = text;
      this.next = (this.next + 1) % this.linesMax;
    }
  }

  /** The kept lines, oldest first. */
  tail(): string[] {
    return [...this.lines.slice(this.next), ...this.lines.slice(0, this.next)];
  }
}
