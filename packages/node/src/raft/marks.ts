// Coverage marks: rare branches call mark(name) so a test (or the simulator) can assert that a
// scenario really reached the branch it is about. No-op unless a sink is installed; marks never
// change behaviour, so they cannot make a run nondeterministic.

export type MarkSink = (name: string) => void;

let sink: MarkSink | null = null;

/** Records that the branch `name` ran. */
export function mark(name: string): void {
  if (sink !== null) sink(name);
}

/** Installs a sink (or removes it with null) and returns the previous one, for restoring. */
export function setMarkSink(next: MarkSink | null): MarkSink | null {
  const previous = sink;
  sink = next;
  return previous;
}

/**
 * Runs `body` with a recording sink and returns the names marked, in order. Restores the
 * previous sink even if `body` throws.
 */
export function recordMarks(body: () => void): string[] {
  const names: string[] = [];
  const previous = setMarkSink((name) => names.push(name));
  try {
    body();
  } finally {
    setMarkSink(previous);
  }
  return names;
}
