// Election Safety (Raft paper, Figure 3): at most one leader can be elected in a given term.
// Fed every role change the replicas report; the first conflict is the violation.

export class ElectionSafety {
  private readonly leaderByTerm = new Map<number, string>();

  /** Returns a violation description, or undefined. */
  observe(nodeId: string, term: number, role: string): string | undefined {
    if (role !== 'leader') return undefined;
    const existing = this.leaderByTerm.get(term);
    if (existing !== undefined && existing !== nodeId) {
      return `election safety: ${existing} and ${nodeId} are both leader in term ${term}`;
    }
    this.leaderByTerm.set(term, nodeId);
    return undefined;
  }

  get leaderCount(): number {
    return this.leaderByTerm.size;
  }
}
