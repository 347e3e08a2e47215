// Snapshots (§7, Figure 13): compaction on the leader, chunked InstallSnapshot with bounded
// chunks, retransmission of lost chunks, the follower's restore, and recovery after restart.
import { describe, expect, it } from 'vitest';
import { recordMarks } from '../../src/raft/marks.js';
import type { SnapMsg } from '../../src/raft/messages.js';
import type { SnapshotMetadata } from '../../src/raft/types.js';
import { bytes, confState, ofType } from './helpers/builders.js';
import { logTerms, newNode } from './helpers/harness.js';
import { Network } from './helpers/network.js';

const three = ['1', '2', '3'];

/** A 3-node group where node 3 missed ten commands that the leader then compacted away. */
function laggingFollower(chunkBytes: number): Network {
  const net = Network.bootstrap(three, { snapshotChunkBytes: chunkBytes });
  net.campaign('1');
  net.isolate('3');
  for (let i = 0; i < 10; i++) net.propose('1', `command-${i}`);
  net.node('1').snapshotAndCompact();
  net.heal();
  return net;
}

function snaps(net: Network): SnapMsg[] {
  return net.delivered.filter((m): m is SnapMsg => m.type === 'snap');
}

function snapMsg(
  metadata: SnapshotMetadata,
  data: Uint8Array,
  offsetBytes: number,
  totalBytes: number,
): SnapMsg {
  const done = offsetBytes + data.byteLength === totalBytes;
  return {
    type: 'snap',
    from: '2',
    to: '1',
    term: 1,
    metadata,
    offsetBytes,
    totalBytes,
    data,
    done,
  };
}

describe('InstallSnapshot from the leader', () => {
  it('streams the snapshot in chunks of at most snapshotChunkBytes, then replicates entries', () => {
    const net = laggingFollower(32);
    const leader = net.node('1');
    const snapshotBytes = leader.storage.snapshot().data.byteLength;
    net.tick(1);
    const sent = snaps(net);
    expect(sent.length).toBe(Math.ceil(snapshotBytes / 32));
    expect(sent.every((m) => m.data.byteLength <= 32)).toBe(true);
    expect(sent.map((m) => m.offsetBytes)).toEqual(sent.map((_, i) => i * 32));
    expect(sent.map((m) => m.done)).toEqual(sent.map((_, i) => i === sent.length - 1));
    // Each chunk but the last is acknowledged with the bytes held so far.
    const acks = net.delivered.filter((m) => m.type === 'snapResp');
    expect(acks.map((m) => (m.type === 'snapResp' ? m.receivedBytes : -1))).toEqual(
      sent.slice(1).map((m) => m.offsetBytes),
    );
    const follower = net.node('3');
    expect(follower.snapshotsLoaded.map((s) => s.data)).toEqual([leader.storage.snapshot().data]);
    net.propose('1', 'after');
    expect(follower.applied).toEqual(leader.applied);
    expect(leader.node.status().progress?.['3']?.state).toBe('replicate');
  });

  it('resends a lost chunk when the follower answers the next heartbeat', () => {
    const net = laggingFollower(16);
    let dropped = 0;
    net.drop((m) => m.type === 'snap' && m.offsetBytes === 32 && dropped++ === 0);
    const marks = recordMarks(() => net.tick(3));
    expect(dropped).toBeGreaterThan(1);
    expect(marks).toContain('snapshot: sending to follower');
    expect(net.node('3').snapshotsLoaded.length).toBe(1);
    expect(net.node('3').applied).toEqual(net.node('1').applied);
  });

  it('a joining member with an empty log learns the group from the bootstrap snapshot', () => {
    const net = Network.bootstrap(three);
    net.campaign('1');
    net.addEmpty('4');
    net.node('1').node.proposeConfChange({ type: 'addLearner', nodeId: '4' });
    net.stabilize();
    net.propose('1', 'x');
    const joiner = net.node('4');
    expect(joiner.snapshotsLoaded.map((s) => s.metadata.index)).toEqual([1]);
    expect(joiner.node.status().confState).toEqual(confState(three, ['4']));
    expect(joiner.applied).toEqual(['x']);
  });

  it('switches to a newer snapshot taken while one is being sent', () => {
    const net = laggingFollower(8);
    let chunks = 0;
    // Take a newer snapshot after the first chunk went out.
    net.drop((m) => {
      if (m.type === 'snap' && chunks++ === 1) {
        net.propose('1', 'more');
        net.node('1').snapshotAndCompact();
      }
      return false;
    });
    const marks = recordMarks(() => net.tick(3));
    expect(marks).toContain('snapshot: newer snapshot replaces the one being sent');
    expect(net.node('3').applied).toEqual(net.node('1').applied);
  });

  it('a follower that restarts after installing keeps the snapshot', () => {
    const net = laggingFollower(64);
    net.tick(1);
    const follower = net.node('3');
    const applied = [...follower.applied];
    follower.restart();
    expect(follower.applied).toEqual(applied);
    expect(follower.node.status().firstIndex).toBe(follower.storage.snapshot().metadata.index + 1);
  });
});

describe('InstallSnapshot at the follower, chunk by chunk', () => {
  const metadata: SnapshotMetadata = { index: 5, term: 1, confState: confState(three) };
  const data = bytes('0123456789abcdef');

  function follower() {
    return newNode('1', { voters: three, terms: [1], hardState: { term: 1, commit: 1 } });
  }

  it('"Create new snapshot file if first chunk (offset is 0)", "Reply and wait for more data chunks if done is false"', () => {
    const n = follower();
    n.step(snapMsg(metadata, data.subarray(0, 6), 0, 16));
    n.step(snapMsg(metadata, data.subarray(6, 12), 6, 16));
    const acks = ofType(n.drain(), 'snapResp');
    expect(acks.map((m) => m.receivedBytes)).toEqual([6, 12]);
    expect(n.snapshotsLoaded).toEqual([]);
    n.step(snapMsg(metadata, data.subarray(12), 12, 16));
    const [done] = ofType(n.drain(), 'appResp');
    expect(done).toMatchObject({ reject: false, index: 5 });
    expect(n.snapshotsLoaded).toEqual([{ metadata, data }]);
    // "Discard the entire log": the log is now the snapshot.
    expect(n.node.status()).toMatchObject({ firstIndex: 6, lastIndex: 5, commit: 5, applied: 5 });
    expect(logTerms(n)).toEqual([]);
  });

  it('answers a duplicate or a gap with what it holds, ignoring the chunk', () => {
    const n = follower();
    n.step(snapMsg(metadata, data.subarray(0, 6), 0, 16));
    n.step(snapMsg(metadata, data.subarray(0, 6), 0, 16));
    n.step(snapMsg(metadata, data.subarray(12), 12, 16));
    const acks = ofType(n.drain(), 'snapResp');
    expect(acks.map((m) => m.receivedBytes)).toEqual([6, 6, 6]);
    expect(n.snapshotsLoaded).toEqual([]);
  });

  it('asks from byte 0 for a chunk of a snapshot it has not started', () => {
    const n = follower();
    n.step(snapMsg(metadata, data.subarray(6, 12), 6, 16));
    const [ack] = ofType(n.drain(), 'snapResp');
    expect(ack).toMatchObject({ snapshotIndex: 5, receivedBytes: 0 });
  });

  it('drops a malformed chunk', () => {
    const n = follower();
    const bad = { ...snapMsg(metadata, data.subarray(0, 6), 0, 16), done: true };
    const marks = recordMarks(() => n.step(bad));
    expect(marks).toContain('snapshot: malformed chunk dropped');
    expect(n.drain().filter((m) => m.type !== 'heartbeatResp')).toEqual([]);
  });

  it('a snapshot at or below the commit index is acknowledged with the commit index', () => {
    const n = newNode('1', {
      voters: three,
      terms: [1, 1, 1, 1, 1, 1],
      hardState: { term: 1, commit: 6 },
    });
    n.step(snapMsg(metadata, data, 0, 16));
    const [resp] = ofType(n.drain(), 'appResp');
    expect(resp).toMatchObject({ reject: false, index: 6 });
    expect(n.snapshotsLoaded).toEqual([]);
  });
});

describe('InstallSnapshot across leader changes', () => {
  it("a new leader's snapshot replaces a partly received one, even an older one", () => {
    const n = newNode('1', { voters: three, terms: [1], hardState: { term: 1, commit: 1 } });
    const newer: SnapshotMetadata = { index: 9, term: 1, confState: confState(three) };
    const older: SnapshotMetadata = { index: 7, term: 1, confState: confState(three) };
    n.step(snapMsg(newer, bytes('abcdef'), 0, 12));
    n.step({ ...snapMsg(older, bytes('xyz'), 0, 3), from: '3', term: 2 });
    n.drain();
    expect(n.snapshotsLoaded.map((s) => s.metadata.index)).toEqual([7]);
  });
});
