// Exactly-once writes: every write carries (session id, seq). A node remembers, per session,
// the last seq it applied and its reply, so a retry of the same (id, seq) — after a timeout, a
// lost connection or a balancer switch — gets the remembered reply instead of applying twice.
// A session must not have two writes in flight (a later seq applied first would make the
// earlier one stale), so the client keeps a pool of sessions ("lanes"), one per write in
// flight. Ids are nanoids (21 URL-safe characters). A lane idle for `idleMsMax` is dropped
// rather than reused: nodes expire idle sessions (10 minutes), and a write on an expired
// session is refused.
import { nanoid } from 'nanoid';

export interface SessionLane {
  readonly id: string;
  /** The seq of the write this lane carries now (or carried last). */
  seq: number;
  idleSinceMs: number;
}

export class SessionPool {
  private readonly free: SessionLane[] = [];
  /** Lanes ever created: shows in status and tests. */
  created = 0;

  constructor(
    private readonly idleMsMax: number,
    private readonly nowMs: () => number,
  ) {}

  /** A lane for one write, with its next seq taken. */
  acquire(): SessionLane {
    const nowMs = this.nowMs();
    while (this.free.length > 0) {
      const lane = this.free.pop() as SessionLane;
      if (nowMs - lane.idleSinceMs < this.idleMsMax) {
        lane.seq++;
        return lane;
      }
    }
    this.created++;
    return { id: nanoid(), seq: 1, idleSinceMs: nowMs };
  }

  /** The write on `lane` has its final answer; the lane may carry the next one. */
  release(lane: SessionLane): void {
    lane.idleSinceMs = this.nowMs();
    this.free.push(lane);
  }

  /** Lanes waiting for a write. */
  get idle(): number {
    return this.free.length;
  }
}
