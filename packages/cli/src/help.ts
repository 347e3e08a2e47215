// The `--help` texts, one per command, kept apart from parsing so that docs/cli.md and the
// texts are easy to compare. Exit codes are listed in every text because scripts need them.
export const defaultDataDir = './troupe-data';
export const defaultBalancerPort = 7000;

const exitCodesText = `Exit codes:
  0  ok
  1  the operation ran and failed (refused, conflict, not found, a process died)
  2  bad arguments (nothing was attempted)
  3  the cluster is unreachable (no balancer answered)`;

const commonKvFlags = `\
  --balancer <url>     a balancer (ws://host:port); default: from <dir>/cluster.json,
                       else ws://127.0.0.1:${defaultBalancerPort}
  --data <dir>         the data dir \`troupe up\` uses (default ${defaultDataDir})
  --timeout-ms <n>     give up after this long (default 5000)
  --json               print one JSON object instead of text
  --help               this text`;

export const topUsage = `Usage: troupe <command> [args] [flags]

Commands:
  up                         start a local cluster and stay in the foreground
  get <key>                  print a key's JSON value
  update <key> <json>        set a key (creating it if absent)
  create <key> <json>        create a key; fails if it exists
  delete <key>               delete a key
  status                     nodes, zones, health, shards, leaders, terms, lag

Run \`troupe <command> --help\` for its flags.

${exitCodesText}`;

export const upUsage = `\
Usage: troupe up [--nodes 3] [--balancers 1] [--data ${defaultDataDir}] [flags]

Starts a local cluster as separate processes (troupe-node, troupe-balancer), waits until every
shard has a leader, prints the client and dashboard URLs, then shows a live status line.
Ctrl-C stops every process cleanly. A second run on the same --data reuses its ports, ids and
data. Children's output goes to <dir>/logs/<id>.log.

  --nodes <n>          node processes, 1-9 (default 3; fixed once <dir> exists)
  --balancers <n>      balancer processes, 1-5 (default 1; fixed once <dir> exists)
  --data <dir>         where cluster.json, node stores and logs live (default ${defaultDataDir})
  --shards <n>         shard count, 1-256 (default 16; fixed once <dir> exists)
  --base-port <n>      first port to try on a first run (default ${defaultBalancerPort})
  --json               JSON lines (progress, ready, status, exits) instead of text
  --help               this text

${exitCodesText}`;

export const getUsage = `Usage: troupe get <key> [flags]

Prints the key's value as JSON (with --json: {key, exists, value, version}). A key that
does not exist exits 1.

${commonKvFlags}

${exitCodesText}`;

export const updateUsage = `Usage: troupe update <key> <json> [flags]

Sets the key to the JSON value (quote strings: '"text"'), creating it if absent.

${commonKvFlags}

${exitCodesText}`;

export const createUsage = `Usage: troupe create <key> <json> [flags]

Creates the key with the JSON value; exits 1 if it already exists.

${commonKvFlags}

${exitCodesText}`;

export const deleteUsage = `Usage: troupe delete <key> [flags]

Deletes the key.

${commonKvFlags}

${exitCodesText}`;

export const statusUsage = `Usage: troupe status [flags]

Prints the cluster as a balancer sees it: nodes (zone, up, phi, leaders) and shards (leader,
term, replicas, lag). With --json, the balancer's /status document.

  --balancer <url>     a balancer (ws:// or http://); default: from <dir>/cluster.json
  --data <dir>         the data dir \`troupe up\` uses (default ${defaultDataDir})
  --timeout-ms <n>     give up after this long (default 5000)
  --json               print the /status JSON
  --help               this text

${exitCodesText}`;
