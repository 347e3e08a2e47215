// The flags of the chaos harness (test/chaos-cli.ts) that `troupe chaos` passes through. Kept
// here so that `troupe chaos --help` can list them without starting the harness, and so that a
// misspelt flag is refused in one line before a cluster is started; the harness still checks
// every value. test/cli/cli.test.ts fails when this list and the harness's own usage differ.

export interface ChaosFlag {
  readonly name: string;
  /** The value's placeholder, or null for a switch. */
  readonly value: string | null;
  readonly text: string;
}

export const chaosFlags: readonly ChaosFlag[] = [
  { name: 'time', value: 'S', text: 'seconds of workload (default 60)' },
  { name: 'nemesis', value: 'LIST', text: 'all, none, or a comma list of kinds (default all)' },
  { name: 'clients', value: 'K', text: 'concurrent clients (default 10)' },
  { name: 'nodes', value: 'N', text: 'nodes (default 3)' },
  { name: 'balancers', value: 'B', text: 'balancers (default 2)' },
  { name: 'seed', value: 'N', text: 'workload seed (default 1)' },
  { name: 'down-ms', value: 'MS', text: 'how long each fault lasts (default 3000)' },
  { name: 'gap-ms', value: 'MS', text: 'quiet time before each fault (default 3000)' },
  { name: 'hot-keys', value: 'N', text: 'keys most operations go to (default 4)' },
  { name: 'cold-keys', value: 'N', text: 'other keys (default 32)' },
  { name: 'timeout-ms', value: 'MS', text: 'per-operation deadline (default 5000)' },
  { name: 'mix', value: 'W', text: 'operation weights (default get=40,update=30,cas=10,...)' },
  { name: 'stale-reads', value: 'F', text: 'fraction of gets that are stale, 0..1 (default 0.25)' },
  { name: 'rate', value: 'N', text: 'most operations per second per client (default: unlimited)' },
  { name: 'out', value: 'DIR', text: 'where history and reports go (default chaos-runs/<time>)' },
  { name: 'unsafe-follower-reads', value: null, text: 'a deliberately broken cluster to catch' },
  { name: 'check', value: 'FILE', text: 'only re-run the checks on a saved history.jsonl' },
  { name: 'render', value: 'FILE', text: 'only render a saved report.json again as HTML' },
];
