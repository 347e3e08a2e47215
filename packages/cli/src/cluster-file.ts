// <dir>/cluster.json: the layout of a local cluster (ids, zones, ports, shard count), written
// by the first `troupe up` and read by every later run and command. It is what lets a second
// run come back on the same addresses with the same node stores, and lets `troupe get` find a
// balancer without flags.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaults } from './args.js';
import { DataDirError } from './errors.js';
import { pickPort } from './ports.js';

export interface NodeLayout {
  readonly id: string;
  readonly zone: string;
  readonly port: number;
}

export interface BalancerLayout {
  readonly id: string;
  readonly port: number;
}

export interface ClusterLayout {
  readonly version: 1;
  readonly shards: number;
  readonly replicationFactor: number;
  readonly nodes: readonly NodeLayout[];
  readonly balancers: readonly BalancerLayout[];
}

export const clusterFileName = 'cluster.json';
const zones = ['zone-a', 'zone-b', 'zone-c'] as const;
/** Nodes listen this far above the first balancer's port: 7000 -> 7101, 7102, ... */
const nodePortOffset = 101;
const replicationFactorMax = 3;

export const nodeDataDir = (dir: string, id: string): string => join(dir, 'nodes', id);
export const logPath = (dir: string, id: string): string => join(dir, 'logs', `${id}.log`);
export const balancerUrl = (b: BalancerLayout): string => `ws://127.0.0.1:${b.port}`;
export const balancerHttp = (b: BalancerLayout): string => `http://127.0.0.1:${b.port}`;
export const nodeUrl = (n: NodeLayout): string => `ws://127.0.0.1:${n.port}`;

/** `id=host:port@zone,...` for every node's --initial-cluster. */
export function initialCluster(layout: ClusterLayout): string {
  return layout.nodes.map((n) => `${n.id}=127.0.0.1:${n.port}@${n.zone}`).join(',');
}

/** Picks ids, zones and free ports for a first run; writes nothing. */
export async function planLayout(want: {
  nodes: number;
  balancers: number;
  shards: number;
  basePort: number;
}): Promise<ClusterLayout> {
  const taken = new Set<number>();
  const balancers: BalancerLayout[] = [];
  for (let i = 1; i <= want.balancers; i++) {
    balancers.push({ id: `b${i}`, port: await pickPort(want.basePort + i - 1, taken) });
  }
  const nodes: NodeLayout[] = [];
  for (let i = 1; i <= want.nodes; i++) {
    const port = await pickPort(want.basePort + nodePortOffset + i - 1, taken);
    nodes.push({ id: `n${i}`, zone: zones[(i - 1) % zones.length] as string, port });
  }
  const replicationFactor = Math.min(replicationFactorMax, want.nodes);
  return { version: 1, shards: want.shards, replicationFactor, nodes, balancers };
}

const layoutIdPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,63}$/;

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65_536;
}

function isLayout(value: unknown): value is ClusterLayout {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const nodes = v.nodes;
  const balancers = v.balancers;
  if (v.version !== 1 || !Array.isArray(nodes) || !Array.isArray(balancers)) return false;
  // Counts of 0, negative or fractional would only fail later, far from the file's name.
  const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 1;
  if (!isCount(v.shards) || !isCount(v.replicationFactor)) return false;
  if (v.replicationFactor > nodes.length) return false;
  // Ids name data dirs and log files (nodeDataDir, logPath): no separators, no `..`.
  const entryOk = (e: unknown): boolean => {
    if (typeof e !== 'object' || e === null) return false;
    const r = e as Record<string, unknown>;
    return typeof r.id === 'string' && layoutIdPattern.test(r.id) && isPort(r.port);
  };
  const zoneOk = (n: unknown) => typeof (n as { zone?: unknown }).zone === 'string';
  if (!nodes.every((n) => entryOk(n) && zoneOk(n))) return false;
  return nodes.length > 0 && balancers.length > 0 && balancers.every(entryOk);
}

/** The stored layout, or null when the dir has none yet. */
export function readLayout(dir: string): ClusterLayout | null {
  const path = join(dir, clusterFileName);
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new DataDirError(`${path} is not valid JSON`, { cause: error });
  }
  if (!isLayout(parsed)) throw new DataDirError(`${path} is not a troupe cluster file`);
  return parsed;
}

/** Written to a temporary file and renamed, so a crash never leaves half a file. */
export function writeLayout(dir: string, layout: ClusterLayout): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, clusterFileName);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(layout, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Flags given on a later run must agree with the stored layout: they cannot change it. */
export function checkFlagsAgree(
  layout: ClusterLayout,
  flags: { nodes: number | null; balancers: number | null; shards: number | null },
  dir: string,
): void {
  const stored = {
    nodes: layout.nodes.length,
    balancers: layout.balancers.length,
    shards: layout.shards,
  };
  for (const name of ['nodes', 'balancers', 'shards'] as const) {
    const given = flags[name];
    if (given === null || given === stored[name]) continue;
    const what = `${dir} holds a cluster with ${stored[name]} ${name}`;
    throw new DataDirError(`${what}; --${name} ${given} cannot change it (use another --data)`);
  }
}

/** The stored layout, or a new one (planned and written) for a first run. */
export async function loadOrCreateLayout(
  dataDir: string,
  flags: { nodes: number | null; balancers: number | null; shards: number | null },
  basePort: number,
): Promise<{ layout: ClusterLayout; created: boolean }> {
  const dir = resolve(dataDir);
  const stored = readLayout(dir);
  if (stored !== null) {
    checkFlagsAgree(stored, flags, dataDir);
    return { layout: stored, created: false };
  }
  const layout = await planLayout({
    nodes: flags.nodes ?? defaults.nodes,
    balancers: flags.balancers ?? defaults.balancers,
    shards: flags.shards ?? defaults.shards,
    basePort,
  });
  writeLayout(dir, layout);
  return { layout, created: true };
}
