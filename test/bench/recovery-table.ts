// The recovery benchmark's result as plain-text tables, in the style of bench-cli.ts's
// throughput table: the fill, the catch-up of the restarted node, and each node's disk and
// memory with every key in.
import type { NodeFootprint, RecoveryResult } from './recovery-result.js';

const mib = 1024 * 1024;

function mb(bytes: number): string {
  return (bytes / mib).toFixed(1);
}

function fillTable(result: RecoveryResult): string {
  const f = result.fill;
  return [
    `fill: ${result.writes} distinct keys, ${result.valueBytes}-byte values, ` +
      `${f.concurrency} in flight over ${f.clients} clients, ${result.recovery.nodeId} down`,
    '   written    failed   retries   seconds   writes/s',
    `${String(f.written).padStart(10)} ${String(f.failed).padStart(9)} ` +
      `${String(f.retries).padStart(9)} ${(f.ms / 1_000).toFixed(1).padStart(9)} ` +
      `${f.writesPerS.toFixed(0).padStart(10)}`,
  ].join('\n');
}

function catchUpTable(result: RecoveryResult): string {
  const r = result.recovery;
  return [
    `recovery of ${r.nodeId} (${r.signal}): ${r.entriesBehind} entries behind in ` +
      `${result.groups.length} groups; ${r.snapshotGroups} caught up by snapshot, ` +
      `${r.replayedEntries} entries replayed`,
    '  spawn -> ready   spawn -> caught up   ready -> caught up   polled every',
    `${r.spawnToReadyMs.toFixed(0).padStart(13)} ms ${r.fromSpawnMs.toFixed(0).padStart(17)} ms ` +
      `${r.fromReadyMs.toFixed(0).padStart(17)} ms ${String(r.pollMs).padStart(12)} ms`,
  ].join('\n');
}

function footprintRow(n: NodeFootprint): string {
  const m = n.memory;
  return (
    `${n.nodeId.padEnd(5)} ${n.role.padEnd(10)} ${mb(n.disk.apparentBytes).padStart(9)} ` +
    `${mb(n.disk.allocatedBytes).padStart(12)} ${mb(n.storeUsedBytes).padStart(10)} ` +
    `${mb(m.rssBytes).padStart(8)} ${mb(m.rssAnonBytes).padStart(8)} ` +
    `${mb(m.rssFileBytes).padStart(8)} ${mb(m.peakRssBytes).padStart(8)}`
  );
}

function footprintTable(result: RecoveryResult): string {
  return [
    `footprint with ${result.writes} keys (MiB; disk = data dir, lmdb live = pages in use)`,
    'node  role        disk size  disk alloc  lmdb live      RSS     anon     file     peak',
    ...result.footprint.map(footprintRow),
  ].join('\n');
}

export function recoveryTable(result: RecoveryResult): string {
  const hashes =
    result.replicasAgree === null
      ? 'state hashes not compared at this scale'
      : `state hashes ${result.replicasAgree ? 'agree' : 'DIFFER'} on all nodes`;
  const check =
    `read back ${result.spotCheck.found} of ${result.spotCheck.keys} sampled keys from ` +
    `${result.recovery.nodeId} alone; ${hashes}`;
  return [fillTable(result), catchUpTable(result), footprintTable(result), check].join('\n\n');
}
