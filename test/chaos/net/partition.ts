// The chaos harness's network faults in the words a scenario uses (isolate a node, split the
// cluster, bridge two halves through one node, cut one direction), turned into modes of the
// LinkProxies that carry each directed link 'from->to' (connections `from` opens to `to`).
// It only switches modes: which ports map where is the harness's job, so it is handed the
// proxies. Each helper switches exactly the links it names and leaves the others as they are,
// so faults compose (isolate n1, then n2) until healAll(); describe() is the fault set as
// plain data for reports.
import type { LinkDirection, LinkMode, LinkProxy } from './link-proxy.js';

/** One link that is not healthy, as reports show it. */
export interface LinkFault {
  readonly link: string;
  readonly from: string;
  readonly to: string;
  readonly mode: LinkMode;
}

interface Link {
  readonly from: string;
  readonly to: string;
  readonly proxy: LinkProxy;
}

const linkSeparator = '->';

export class Partitioner {
  private readonly links = new Map<string, Link>();
  /** Every node that appears at either end of a link, sorted. */
  readonly nodes: readonly string[];

  /** `links` maps 'from->to' to the proxy carrying the connections `from` opens to `to`. */
  constructor(links: ReadonlyMap<string, LinkProxy>) {
    const nodes = new Set<string>();
    for (const [key, proxy] of links) {
      const ends = key.split(linkSeparator);
      const [from, to] = ends;
      if (ends.length !== 2 || !from || !to || from === to) {
        throw new Error(`link key must be 'from->to' between two nodes, got '${key}'`);
      }
      this.links.set(key, { from, to, proxy });
      nodes.add(from);
      nodes.add(to);
    }
    this.nodes = [...nodes].sort();
  }

  /** The proxy carrying connections `from` opens to `to`, if the harness made one. */
  link(from: string, to: string): LinkProxy | undefined {
    return this.links.get(`${from}${linkSeparator}${to}`)?.proxy;
  }

  /** `node` can neither reach nor be reached by anyone. */
  isolate(node: string): void {
    this.checkKnown([node]);
    for (const link of this.links.values()) {
      if (link.from === node || link.to === node) link.proxy.drop();
    }
  }

  /** No traffic between the groups either way (e.g. a majority and a minority). */
  split(groupA: readonly string[], groupB: readonly string[]): void {
    this.checkGroups(groupA, groupB);
    for (const a of groupA) {
      for (const b of groupB) {
        this.link(a, b)?.drop();
        this.link(b, a)?.drop();
      }
    }
  }

  /**
   * The two sides cannot talk to each other but both talk to `bridgeNode` (Jepsen's bridge):
   * the links between the sides drop, and the bridge's links to every node of either side
   * that cannot carry traffic both ways are healed (a delayed link is left delayed).
   */
  bridge(
    sideA: string | readonly string[],
    bridgeNode: string,
    sideB: string | readonly string[],
  ): void {
    const groupA = typeof sideA === 'string' ? [sideA] : sideA;
    const groupB = typeof sideB === 'string' ? [sideB] : sideB;
    this.checkGroups(groupA, groupB);
    this.checkKnown([bridgeNode]);
    if (groupA.includes(bridgeNode) || groupB.includes(bridgeNode)) {
      throw new Error(`bridge node ${bridgeNode} must not be on either side`);
    }
    this.split(groupA, groupB);
    for (const node of [...groupA, ...groupB]) {
      for (const proxy of [this.link(node, bridgeNode), this.link(bridgeNode, node)]) {
        if (proxy !== undefined && !carriesBothWays(proxy.mode)) proxy.heal();
      }
    }
  }

  /**
   * Messages from `from` to `to` are lost; the replies' direction still works. Both links
   * carry such messages: `from->to` as requests, `to->from` as replies to `to`'s requests.
   * Composes: oneWay(a, b) then oneWay(b, a) is a full partition between a and b.
   */
  oneWay(from: string, to: string): void {
    this.checkKnown([from, to]);
    cutDirection(this.link(from, to), 'toTarget');
    cutDirection(this.link(to, from), 'fromTarget');
  }

  /** Every link forwards again; connections that lived through a cut are reset. */
  healAll(): void {
    for (const link of this.links.values()) link.proxy.heal();
  }

  /** The links that are not healthy, sorted by link, as plain data. */
  describe(): LinkFault[] {
    return [...this.links]
      .filter(([, link]) => link.proxy.mode.kind !== 'heal')
      .sort(([keyA], [keyB]) => (keyA < keyB ? -1 : keyA > keyB ? 1 : 0))
      .map(([key, link]) => ({
        link: key,
        from: link.from,
        to: link.to,
        mode: { ...link.proxy.mode },
      }));
  }

  /** Closes every proxy: the Partitioner owns them once handed over. */
  async close(): Promise<void> {
    await Promise.all([...this.links.values()].map((link) => link.proxy.close()));
  }

  /** A typo in a scenario would otherwise switch nothing and pass silently. */
  private checkKnown(nodes: readonly string[]): void {
    for (const node of nodes) {
      if (!this.nodes.includes(node)) throw new Error(`unknown node ${node}`);
    }
  }

  private checkGroups(groupA: readonly string[], groupB: readonly string[]): void {
    if (groupA.length === 0 || groupB.length === 0) throw new Error('a group is empty');
    this.checkKnown([...groupA, ...groupB]);
    const inBoth = groupA.filter((node) => groupB.includes(node));
    if (inBoth.length > 0) throw new Error(`nodes in both groups: ${inBoth.join(', ')}`);
  }
}

function carriesBothWays(mode: LinkMode): boolean {
  return mode.kind === 'heal' || mode.kind === 'delay';
}

/** Adds a cut of `direction` to whatever the link already cuts. */
function cutDirection(proxy: LinkProxy | undefined, direction: LinkDirection): void {
  if (proxy === undefined) return;
  const mode = proxy.mode;
  if (mode.kind === 'drop') return;
  if (mode.kind === 'dropOneWay' && mode.direction !== direction) proxy.drop();
  else proxy.dropOneWay(direction);
}
