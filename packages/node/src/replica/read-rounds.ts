// Batches a leader's linearizable reads into ReadIndex rounds. Each round costs a heartbeat
// to every follower and their answers; one per read made reads the busiest part of a node. At
// most one round is in flight per group: reads that arrive meanwhile wait together and share
// the next round, which starts as soon as the current one is confirmed. A read may only use a
// round that started after it arrived, which this keeps: a read joins the queue, never a round
// already sent. Pure bookkeeping of ids; the replica issues the rounds and serves the reads.

export interface ReadRound {
  /** The ReadIndex request's ctx: unique per round. */
  readonly ctx: string;
  /** The reads this round confirms. */
  readonly ids: readonly string[];
  /** The tick the round was issued; a round lost with its heartbeats is issued anew. */
  readonly issuedTick: number;
}

export class ReadRounds {
  private queued: string[] = [];
  private inFlight: ReadRound | null = null;
  private roundCounter = 0;

  /** Reads not yet confirmed by a round: queued, or in the round in flight (for metrics). */
  get waiting(): number {
    return this.queued.length + (this.inFlight?.ids.length ?? 0);
  }

  /** A read arrived; it waits for the next round. */
  enqueue(id: string): void {
    this.queued.push(id);
  }

  /**
   * The round to issue now, if any: the queued reads, when no round is in flight or the one
   * in flight was issued `staleAfterTicks` ago or more (its reads join the new round).
   */
  next(
    nowTick: number,
    staleAfterTicks: number,
    isWaiting: (id: string) => boolean,
  ): ReadRound | null {
    const stale = this.inFlight !== null && nowTick - this.inFlight.issuedTick >= staleAfterTicks;
    if (stale && this.inFlight !== null) {
      this.queued = [...this.inFlight.ids, ...this.queued];
      this.inFlight = null;
    }
    if (this.inFlight !== null || this.queued.length === 0) return null;
    // Reads that timed out meanwhile are dropped here, so the lists stay within the table.
    const ids = this.queued.filter(isWaiting);
    this.queued = [];
    if (ids.length === 0) return null;
    this.inFlight = { ctx: `r${++this.roundCounter}`, ids, issuedTick: nowTick };
    return this.inFlight;
  }

  /** The round `ctx` was confirmed: its reads, or none if it is not the round in flight. */
  confirmed(ctx: string): readonly string[] {
    if (this.inFlight === null || this.inFlight.ctx !== ctx) return [];
    const { ids } = this.inFlight;
    this.inFlight = null;
    return ids;
  }

  /** The round just issued was refused by Raft: its reads are the caller's to fail. */
  refused(): readonly string[] {
    const ids = this.inFlight?.ids ?? [];
    this.inFlight = null;
    return ids;
  }

  /** Leadership lost: nothing is waiting any more (the replica fails the reads). */
  clear(): void {
    this.queued = [];
    this.inFlight = null;
  }
}
