// The simulated network between replicas: loss, duplication, delay (and so reordering), one-
// and two-way partitions, and clogged links whose messages are held and then released together
// ("swizzle-clogging", FoundationDB). Everything is drawn from the simulation's Rng.
import type { Message } from '@troupe/node/raft';
import type { Rng } from '@troupe/runtime/rng';
import type { NetworkOptions } from './options.js';
import type { Trace } from './trace.js';

interface InFlight {
  deliverAtTick: number;
  message: Message;
}

/** Messages in flight beyond this are dropped (counted as loss): memory stays bounded. */
const inFlightMax = 50_000;

const linkKey = (from: string, to: string): string => `${from}>${to}`;

export class SimNetwork {
  private inFlight: InFlight[] = [];
  /** Directed links that drop everything. */
  private readonly cut = new Set<string>();
  /** Directed links whose messages wait until the given tick. */
  private readonly clogged = new Map<string, number>();
  /** Nodes that receive nothing until the given tick (a paused process). */
  private readonly held = new Map<string, number>();
  partitionEndsAtTick: number | undefined;

  constructor(
    private readonly rng: Rng,
    private options: NetworkOptions,
    private readonly nodeIds: readonly string[],
    private readonly trace: Trace,
  ) {}

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  send(message: Message, nowTick: number): void {
    if (this.cut.has(linkKey(message.from, message.to))) return;
    if (this.rng.nextFloat() < this.options.lossRate) return;
    const copies = this.rng.nextFloat() < this.options.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies && this.inFlight.length < inFlightMax; i++) {
      const delay = this.rng.nextInt(this.options.delayTicksMax + 1);
      this.inFlight.push({ deliverAtTick: nowTick + delay, message });
    }
  }

  /** Removes and returns the messages due by `nowTick`, in a random order. */
  takeDue(nowTick: number): Message[] {
    const due: Message[] = [];
    const keep: InFlight[] = [];
    for (const item of this.inFlight) {
      const key = linkKey(item.message.from, item.message.to);
      const clogEnd = this.clogged.get(key) ?? this.held.get(item.message.to);
      if (item.deliverAtTick > nowTick || (clogEnd !== undefined && clogEnd > nowTick)) {
        keep.push(item);
      } else if (!this.cut.has(key)) {
        due.push(item.message);
      }
    }
    this.inFlight = keep;
    return shuffle(due, this.rng);
  }

  /** Starts, continues or heals faults for this tick. */
  nemesis(nowTick: number): void {
    if (this.partitionEndsAtTick !== undefined && nowTick >= this.partitionEndsAtTick)
      this.heal(nowTick);
    if (
      this.partitionEndsAtTick === undefined &&
      this.rng.nextFloat() < this.options.partitionRate
    ) {
      this.partition(nowTick);
    }
    for (const [key, endTick] of this.clogged) if (endTick <= nowTick) this.clogged.delete(key);
    if (this.rng.nextFloat() < this.options.clogRate) this.clog(nowTick);
  }

  /** Holds every message for `nodeId` until `untilTick` (it is paused, not gone). */
  hold(nodeId: string, untilTick: number): void {
    this.held.set(nodeId, untilTick);
  }

  /** Removes every fault and stops making new ones. */
  healAll(nowTick: number, calm: NetworkOptions): void {
    this.heal(nowTick);
    this.clogged.clear();
    this.held.clear();
    this.options = calm;
  }

  private partition(nowTick: number): void {
    const ids = shuffle([...this.nodeIds], this.rng);
    const sideSize = 1 + this.rng.nextInt(ids.length - 1);
    const side = new Set(ids.slice(0, sideSize));
    const oneWay = this.rng.nextFloat() < this.options.oneWayShare;
    for (const from of this.nodeIds) {
      for (const to of this.nodeIds) {
        if (side.has(from) === side.has(to)) continue;
        if (!oneWay || side.has(from)) this.cut.add(linkKey(from, to));
      }
    }
    this.partitionEndsAtTick = nowTick + 1 + this.rng.nextInt(this.options.partitionTicksMax);
    const kind = oneWay ? 'one-way' : 'two-way';
    this.trace.add(
      nowTick,
      `net partition ${kind} {${[...side].join(',')}} until ${this.partitionEndsAtTick}`,
    );
  }

  private heal(nowTick: number): void {
    if (this.cut.size > 0) this.trace.add(nowTick, 'net heal');
    this.cut.clear();
    this.partitionEndsAtTick = undefined;
  }

  private clog(nowTick: number): void {
    const from = this.nodeIds[this.rng.nextInt(this.nodeIds.length)] as string;
    const to = this.nodeIds[this.rng.nextInt(this.nodeIds.length)] as string;
    if (from === to) return;
    const endTick = nowTick + 1 + this.rng.nextInt(this.options.clogTicksMax);
    this.clogged.set(linkKey(from, to), endTick);
    this.trace.add(nowTick, `net clog ${from}>${to} until ${endTick}`);
  }
}

function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
