// ReadRounds: reads queue for the next ReadIndex round, one round is in flight at a time, a
// read never joins a round already sent, a stale round is issued again with its reads, and
// reads that timed out are left out of the next round.
import { describe, expect, test } from 'vitest';
import { ReadRounds } from '../../src/replica/read-rounds.js';

const waiting = (): boolean => true;

describe('ReadRounds', () => {
  test('queued reads share one round; later reads wait for the next', () => {
    const rounds = new ReadRounds();
    rounds.enqueue('a');
    rounds.enqueue('b');
    const first = rounds.next(0, 10, waiting);
    expect(first?.ids).toEqual(['a', 'b']);
    rounds.enqueue('c');
    expect(rounds.next(1, 10, waiting)).toBeNull();
    expect(rounds.confirmed(first?.ctx ?? '')).toEqual(['a', 'b']);
    const second = rounds.next(2, 10, waiting);
    expect(second?.ids).toEqual(['c']);
    expect(second?.ctx).not.toBe(first?.ctx);
  });

  test('a confirmation of another ctx releases nothing', () => {
    const rounds = new ReadRounds();
    rounds.enqueue('a');
    rounds.next(0, 10, waiting);
    expect(rounds.confirmed('r999')).toEqual([]);
  });

  test('a stale round is issued again with its reads and the queued ones', () => {
    const rounds = new ReadRounds();
    rounds.enqueue('a');
    const first = rounds.next(0, 10, waiting);
    rounds.enqueue('b');
    expect(rounds.next(9, 10, waiting)).toBeNull();
    const again = rounds.next(10, 10, waiting);
    expect(again?.ids).toEqual(['a', 'b']);
    // The old round's late answer no longer releases anything.
    expect(rounds.confirmed(first?.ctx ?? '')).toEqual([]);
    expect(rounds.confirmed(again?.ctx ?? '')).toEqual(['a', 'b']);
  });

  test('reads that stopped waiting are left out; a refused round hands back its reads', () => {
    const rounds = new ReadRounds();
    for (const id of ['a', 'b', 'c']) rounds.enqueue(id);
    const round = rounds.next(0, 10, (id) => id !== 'b');
    expect(round?.ids).toEqual(['a', 'c']);
    expect(rounds.refused()).toEqual(['a', 'c']);
    expect(rounds.next(1, 10, waiting)).toBeNull();
  });

  test('clear forgets queued and in-flight reads', () => {
    const rounds = new ReadRounds();
    rounds.enqueue('a');
    rounds.next(0, 10, waiting);
    rounds.enqueue('b');
    rounds.clear();
    expect(rounds.next(100, 10, waiting)).toBeNull();
  });
});
