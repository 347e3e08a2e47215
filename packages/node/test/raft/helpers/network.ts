// A tiny in-test network of TestNodes: messages queue in FIFO order and are delivered until the
// cluster is quiet. Tests cut links or isolate nodes with drop rules. Deterministic: nodes are
// visited in sorted id order and nothing is random unless a test seeds an Rng.
import { MemoryStorage } from '../../../src/raft/memory-storage.js';
import type { Message } from '../../../src/raft/messages.js';
import { bytes, confState } from './builders.js';
import { SeededRng } from './rng.js';
import { TestNode, type TestNodeOptions } from './test-node.js';

export type DropRule = (msg: Message) => boolean;

export class Network {
  readonly nodes = new Map<string, TestNode>();
  /** Every message delivered, for assertions about traffic. */
  readonly delivered: Message[] = [];
  private queue: Message[] = [];
  private rules: DropRule[] = [];

  /**
   * A group whose founding voters are `ids` (bootstrapped identically). Each node's election
   * jitter is seeded from its position, so nodes do not time out in lockstep.
   */
  static bootstrap(ids: readonly string[], options: TestNodeOptions = {}): Network {
    const net = new Network();
    ids.forEach((id, i) => {
      const storage = MemoryStorage.bootstrap(confState(ids));
      net.add(new TestNode(id, storage, { rng: new SeededRng(i + 1), ...options }));
    });
    return net;
  }

  add(node: TestNode): TestNode {
    this.nodes.set(node.id, node);
    return node;
  }

  /** A member that joins later: empty storage, learns the group from the leader. */
  addEmpty(id: string, options: TestNodeOptions = {}): TestNode {
    return this.add(new TestNode(id, new MemoryStorage(), options));
  }

  node(id: string): TestNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  ids(): string[] {
    return [...this.nodes.keys()].sort();
  }

  drop(rule: DropRule): void {
    this.rules.push(rule);
  }

  /** Cuts every link to and from `id`. */
  isolate(id: string): void {
    this.drop((m) => m.from === id || m.to === id);
  }

  cut(a: string, b: string): void {
    this.drop((m) => (m.from === a && m.to === b) || (m.from === b && m.to === a));
  }

  heal(): void {
    this.rules = [];
  }

  /** Collects every node's Ready output into the queue. */
  collect(): void {
    for (const id of this.ids()) this.queue.push(...this.node(id).drain());
  }

  /** Delivers queued messages (and what they cause) until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    this.collect();
    for (let round = 0; round < maxRounds; round++) {
      const msg = this.queue.shift();
      if (msg === undefined) return;
      this.deliverOne(msg);
      this.collect();
    }
    throw new Error(`network did not stabilize in ${maxRounds} messages`);
  }

  private deliverOne(msg: Message): void {
    if (this.rules.some((rule) => rule(msg))) return;
    const target = this.nodes.get(msg.to);
    if (target === undefined) return;
    this.delivered.push(msg);
    target.step(msg);
  }

  /** Ticks every node `ticks` times, stabilizing after each tick. */
  tick(ticks = 1, only?: readonly string[]): void {
    for (let t = 0; t < ticks; t++) {
      for (const id of only ?? this.ids()) this.node(id).node.tick();
      this.stabilize();
    }
  }

  campaign(id: string): void {
    this.node(id).node.campaign();
    this.stabilize();
  }

  propose(id: string, command: string): void {
    this.node(id).node.propose(bytes(command));
    this.stabilize();
  }

  /** Ids of nodes that currently believe they lead. */
  leaders(): string[] {
    return this.ids().filter((id) => this.node(id).node.status().role === 'leader');
  }
}
