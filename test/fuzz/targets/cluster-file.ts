// Fuzz target: <dir>/cluster.json as `troupe` reads it on every later run (readLayout). The
// file is written by troupe itself, but may be edited, truncated or copied by hand; a bad one
// must be refused with the CLI's DataDirError, and one it accepts must be usable as is.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { clusterFileName, readLayout } from '../../../packages/cli/src/cluster-file.js';
import { DataDirError } from '../../../packages/cli/src/errors.js';
import { defineTarget, expectEqual, expectTypedThrow, type Sample, violation } from '../target.js';

let scratchDir: string | null = null;
function writeClusterFile(bytes: Uint8Array): string {
  scratchDir ??= mkdtempSync(join(tmpdir(), 'troupe-fuzz-cluster-'));
  writeFileSync(join(scratchDir, clusterFileName), bytes);
  return scratchDir;
}

/** Removes the scratch dir this target writes into. */
export function cleanupClusterScratch(): void {
  if (scratchDir !== null) rmSync(scratchDir, { recursive: true, force: true });
  scratchDir = null;
}

const layoutArb = fc
  .record({
    nodes: fc.integer({ min: 1, max: 7 }),
    balancers: fc.integer({ min: 1, max: 3 }),
    shards: fc.integer({ min: 1, max: 256 }),
    basePort: fc.integer({ min: 1_024, max: 60_000 }),
  })
  .map(({ nodes, balancers, shards, basePort }) => ({
    version: 1,
    shards,
    replicationFactor: Math.min(3, nodes),
    nodes: Array.from({ length: nodes }, (_, i) => ({
      id: `n${i + 1}`,
      zone: `zone-${'abc'[i % 3]}`,
      port: basePort + 101 + i,
    })),
    balancers: Array.from({ length: balancers }, (_, i) => ({
      id: `b${i + 1}`,
      port: basePort + i,
    })),
  }));

const idPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,63}$/;

/** What every later run does with a layout without checking again. */
function checkUsable(layout: ReturnType<typeof readLayout>): void {
  if (layout === null) return violation('an existing file read as no layout');
  const bad = (what: string) => violation(`cluster file accepted with ${what}`);
  if (!Number.isSafeInteger(layout.shards) || layout.shards < 1) bad(`shards ${layout.shards}`);
  const rf = layout.replicationFactor;
  if (!Number.isSafeInteger(rf) || rf < 1 || rf > layout.nodes.length) bad(`replication ${rf}`);
  const entries = [...layout.nodes, ...layout.balancers];
  for (const entry of entries) {
    if (!idPattern.test(entry.id)) bad(`id ${JSON.stringify(entry.id)}`);
  }
  for (const node of layout.nodes) {
    if (typeof node.zone !== 'string') bad('a node without a zone');
  }
}

export const clusterFile = defineTarget({
  name: 'cluster-file',
  entry: 'readLayout (packages/cli/src/cluster-file.ts)',
  codec: 'json',
  valid: layoutArb.map((layout): Sample => {
    const text = `${JSON.stringify(layout, null, 2)}\n`;
    return { bytes: Uint8Array.from(Buffer.from(text)), value: layout };
  }),
  run(input) {
    const dir = writeClusterFile(input);
    const result = expectTypedThrow(
      () => readLayout(dir),
      (e) => e instanceof DataDirError,
    );
    if (result.ok) checkUsable(result.value);
  },
  roundTrip(sample) {
    expectEqual(readLayout(writeClusterFile(sample.bytes)), sample.value, 'cluster layout');
  },
});
