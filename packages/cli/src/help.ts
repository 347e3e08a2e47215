// The `--help` texts, one per command, kept apart from parsing so that docs/cli.md and the
// texts are easy to compare. Exit codes are listed in every text because scripts need them.
import { chaosFlags } from './chaos-flags.js';

export const defaultDataDir = './troupe-data';
export const defaultBalancerPort = 7000;
export const defaultKeyPrefix = 'bench:';

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
  --tls-ca <file>      trust this CA for a wss:// balancer (its --client-tls-cert)
  --token <token>      the client token (\`troupe token create\`) when the balancer requires
                       one; better: TROUPE_CLIENT_TOKEN, which \`ps\` does not show
  --json               print one JSON object instead of text
  --help               this text`;

const benchTargetFlags = commonKvFlags.replace(
  'give up after this long',
  "each operation's deadline",
);

export const topUsage = `Usage: troupe <command> [args] [flags]

Commands:
  up                         start a local cluster and stay in the foreground
  get <key>                  print a key's JSON value
  update <key> <json>        set a key (creating it if absent)
  create <key> <json>        create a key; fails if it exists
  delete <key>               delete a key
  status                     nodes, zones, health, shards, leaders, terms, lag
  availability --p P --n N   the availability model's figures for each kind of operation
  bench                      a closed-loop load against the cluster: ops/s, latency, errors
  chaos                      the chaos harness: its own cluster, faults, checked history
  token create --key-file F  sign a client token (expiry, key prefix, read-only)

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
  --tls-ca <file>      trust this CA for an https:// (wss://) balancer
  --json               print the /status JSON
  --help               this text

${exitCodesText}`;

export const tokenUsage = `\
Usage: troupe token create --key-file <file> [--ttl 1h] [--prefix P] [--read-only] [flags]

Signs a client token with the key a balancer checks tokens with (its
--client-token-key-file) and prints it. Give it to an application as TROUPE_CLIENT_TOKEN or
the SDK's \`token\` option. The key never leaves this machine; the token does not contain it.

  --key-file <file>    the token signing key (>= 16 bytes; one trailing newline ignored)
  --ttl <d>            lifetime: 90s, 15m, 1h, 30d (default 1h, at most 366d)
  --prefix <p>         only keys starting with <p> may be read or written
  --read-only          reads only: update, create and delete get TROUPE_ERR_FORBIDDEN
  --subject <name>     who the token is for, shown in balancer logs (default troupe-cli)
  --json               print {token, sub, iat, exp, prefix, ro, expires}
  --help               this text

${exitCodesText}`;

export const availabilityUsage = `\
Usage: troupe availability --p <p> --n <replicas> [--balancers B [--balancer-p Q]] [--json]

Prints the availability model's figures for each kind of operation (get, stale-get, update,
create, delete) when each of n replicas is up, independently, with probability p: as a
percentage, in "nines" (-log10 of the unavailability) and as expected downtime per year. A
linearizable get and every write need a majority of the n replicas; a stale get needs any one.
With --balancers, every figure is multiplied by the balancer tier's (any balancer will do).
Nothing is contacted.

  --p <p>              each replica's availability, in (0, 1]: 0.99 or 99%
  --n <n>              replicas of a shard, 1-999
  --balancers <b>      also count a tier of b balancers, 1-99
  --balancer-p <q>     each balancer's availability (default: --p); needs --balancers
  --json               one JSON object: the inputs and one row per operation
  --help               this text

Exit codes:
  0  ok
  2  bad arguments (nothing was computed)`;

export const benchUsage = `\
Usage: troupe bench [--op write] [--concurrency 16] [--duration 10s] [flags]

A closed-loop load on a running cluster through the client SDK, like redis-benchmark: each of
<concurrency> workers sends its next operation as soon as the last is answered. After a
warm-up it measures for --duration and prints ops/s, latency (p50, p99, p99.9, max) and errors
by code. It writes keys <prefix>0 .. <prefix><keys-1> and leaves them; the read workloads first
write each key once.

  --op <op>            write (update), read (linearizable get), stale-read (get from any
                       replica) or mixed (90% linearizable reads, 10% writes); default write
  --concurrency <n>    workers, i.e. operations in flight, 1-1024 (default 16)
  --duration <time>    how long to measure: 10s, 500ms, 2m (default 10s; 100ms to 1h)
  --duration-ms <n>    the same in milliseconds
  --warmup-ms <n>      load before measuring, not counted, 0-60000 (default 1000)
  --keys <n>           distinct keys, chosen uniformly at random, 1-1000000 (default 1000)
  --value-bytes <n>    bytes per written value, 1-131072 (default 100)
  --key-prefix <s>     prefix of the keys written and read (default ${defaultKeyPrefix})
  --seed <n>           seeds each worker's choice of keys, 0-2147483647 (default 1)
${benchTargetFlags}

Exit codes:
  0  the run finished (errors, if any, are in its report)
  1  no operation succeeded in the measured time
  2  bad arguments (nothing was attempted)
  3  the cluster is unreachable (no balancer answered)`;

const chaosFlagLines = chaosFlags
  .map((f) => `  ${`--${f.name}${f.value === null ? '' : ` ${f.value}`}`.padEnd(28)}${f.text}`)
  .join('\n');

export const chaosUsage = `\
Usage: troupe chaos [flags]

Runs the chaos harness, as \`pnpm chaos\` does (test/chaos-cli.ts in the Troupe source tree):
it starts a cluster of its own, node and balancer processes behind fault-injecting proxies,
runs clients against it while nemeses kill, pause and partition it, then checks the history
(linearizable, versions never back, no acknowledged write lost) and writes history.jsonl,
report.json and report.html. A cluster started by \`troupe up\` is not touched. The flags are
the harness's, passed through unchanged:

${chaosFlagLines}

Nemesis kinds: kill, pause, partition-majority, isolate-leader, isolate-node, bridge, one-way,
kill-balancer. Ctrl-C or SIGTERM is passed to the harness, which stops every process it started.

Exit codes (the harness's own):
  0    every check passed
  1    a check failed; or the harness is not there (troupe installed outside its source tree)
  2    bad arguments
  3    the harness itself failed
  130  interrupted: every process it started was stopped`;
