// A link's redial schedule on a manual clock: failures back off exponentially, and hurry()
// dials at once when a peer is known to be back, without undoing the backoff for a peer that
// is still down and without a second dial while one runs or once connected.
import { describe, expect, test } from 'vitest';
import { silentLogger } from '../src/log.js';
import { ManualClock } from '../src/time/manual-clock.js';
import { createSeededRng } from '../src/time/rng.js';
import { Link } from '../src/transport/link.js';
import type { PeerInfo } from '../src/transport/transport.js';

const peer: PeerInfo = { nodeId: 'n2', role: 'node', listenUrl: null, incarnation: 'x' };

/** A link whose dials fail while `up` is false; records when each dial started. */
function harness() {
  const clock = new ManualClock();
  const state = { up: false, connected: false, dials: [] as number[] };
  const link = new Link('ws://n2', {
    dial: async () => {
      state.dials.push(clock.nowMs());
      if (!state.up) throw new Error('ECONNREFUSED');
      state.connected = true;
      return peer;
    },
    isConnected: () => state.connected,
    clock,
    rng: createSeededRng(1),
    backoff: { initialMs: 100, maxMs: 2_000, factor: 2 },
    logger: silentLogger(),
  });
  /** Advances the clock and lets the dial's promise settle. */
  const tick = async (ms: number): Promise<void> => {
    clock.advance(ms);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { clock, state, link, tick };
}

describe('Link.hurry', () => {
  test('dials at once instead of waiting out the backoff', async () => {
    const { state, link, tick } = harness();
    link.start();
    // Eight failed dials: the next retry is 1-2 s away.
    for (let i = 0; i < 8; i++) await tick(2_000);
    const before = state.dials.length;
    await tick(10);
    expect(state.dials.length).toBe(before);
    state.up = true;
    link.hurry();
    await tick(0);
    expect(state.dials.length).toBe(before + 1);
    expect(state.connected).toBe(true);
    link.stop();
  });

  test('a hurried dial that fails keeps backing off: one dial per hurry, no storm', async () => {
    const { state, link, tick } = harness();
    link.start();
    for (let i = 0; i < 8; i++) await tick(2_000);
    const before = state.dials.length;
    link.hurry();
    await tick(0);
    expect(state.dials.length).toBe(before + 1);
    // The retry after it is a full backoff away (at least half the 2 s cap).
    await tick(900);
    expect(state.dials.length).toBe(before + 1);
    link.stop();
  });

  test('no dial while connected or after stop', async () => {
    const { state, link, tick } = harness();
    state.up = true;
    link.start();
    await tick(0);
    expect(state.dials.length).toBe(1);
    link.hurry();
    await tick(0);
    expect(state.dials.length).toBe(1);
    link.stop();
    state.connected = false;
    link.hurry();
    await tick(5_000);
    expect(state.dials.length).toBe(1);
  });
});
