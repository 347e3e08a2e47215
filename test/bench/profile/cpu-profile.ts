// Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and attributes its self time to the
// layers of the write path — msgpack, WebSocket framing, Raft, storage and lmdb's commit with
// its fsync, actors and transport, balancer routing, the SDK — so that RESULTS.md can say per
// process where the time goes. Pure: takes the parsed JSON, returns totals in milliseconds.

/** The parts of the .cpuprofile format this reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
  }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface ProfileSummary {
  readonly wallMs: number;
  /** Self time per layer, largest first; `idle` is time the process had nothing to do. */
  readonly layers: ReadonlyArray<{ readonly layer: string; readonly ms: number }>;
  /** The heaviest functions by self time, idle excluded. */
  readonly functions: ReadonlyArray<{ readonly name: string; readonly ms: number }>;
}

// First match wins: more specific paths before the packages that contain them.
const layerRules: ReadonlyArray<readonly [string, (url: string, fn: string) => boolean]> = [
  ['idle', (u, f) => u === '' && f === '(idle)'],
  ['gc', (u, f) => u === '' && f === '(garbage collector)'],
  ['lmdb (commit, fsync, reads)', (u) => u.includes('/lmdb/') || u.includes('ordered-binary')],
  ['msgpack', (u) => u.includes('msgpackr')],
  ['ws (WebSocket framing)', (u) => u.includes('/ws/')],
  ['pino (logging)', (u) => u.includes('pino') || u.includes('sonic-boom')],
  ['raft core', (u) => u.includes('packages/node/src/raft/')],
  ['node storage', (u) => u.includes('packages/node/src/storage/')],
  ['kv state machine', (u) => u.includes('packages/node/src/kv/')],
  ['replicas, multi-raft, wire', (u) => u.includes('packages/node/src/replica/')],
  ['node server', (u) => u.includes('packages/node/src/')],
  ['balancer', (u) => u.includes('packages/balancer/src/')],
  ['client SDK', (u) => u.includes('packages/client/src/')],
  ['runtime (actors, transport)', (u) => u.includes('packages/runtime/src/')],
  ['benchmark load generator', (u) => u.includes('/test/bench/') || u.includes('hdr-histogram')],
  ['node.js (net, streams, timers)', (u) => u.startsWith('node:')],
  ['native, program', (u) => u === ''],
];

function layerOf(url: string, functionName: string): string {
  for (const [layer, matches] of layerRules) if (matches(url, functionName)) return layer;
  return 'other dependencies';
}

function topEntries(totals: Map<string, number>, limit: number): { name: string; ms: number }[] {
  return [...totals]
    .map(([name, us]) => ({ name, ms: us / 1_000 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit);
}

export function summarizeProfile(profile: CpuProfile, functionsMax = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const layerUs = new Map<string, number>();
  const functionUs = new Map<string, number>();
  // A sample's time is the delta to the next sample; V8 stores deltas before each sample.
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i] ?? -1);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (frame === undefined || us <= 0) continue;
    const layer = layerOf(frame.url, frame.functionName);
    layerUs.set(layer, (layerUs.get(layer) ?? 0) + us);
    if (layer === 'idle') continue;
    const file = frame.url.replace(/^.*\/(packages|node_modules)\//, '$1/');
    const name = `${frame.functionName || '(anonymous)'} ${file}`.trim();
    functionUs.set(name, (functionUs.get(name) ?? 0) + us);
  }
  return {
    wallMs: (profile.endTime - profile.startTime) / 1_000,
    layers: topEntries(layerUs, layerRules.length + 1).map((e) => ({ layer: e.name, ms: e.ms })),
    functions: topEntries(functionUs, functionsMax),
  };
}
