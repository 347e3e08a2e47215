// `troupe get | update | create | delete`: one operation through the client SDK, printed as
// text or one JSON object. A failure keeps the SDK's error code; a balancer that never
// answered becomes UnreachableError (exit 3) so scripts can tell "refused" from "not there".
import {
  type ClientOptions,
  createClient,
  type TroupeClient,
  TroupeError,
  UnavailableError,
  type WriteResult,
} from '@troupe/client';
import type { KvCommand } from './args.js';
import { NotFoundError, UnreachableError } from './errors.js';
import type { Out } from './output.js';
import { balancerTargets } from './target.js';
import { clientTls } from './tls-ca.js';
import { clientToken } from './token-command.js';

/** Opening a connection gets at most this long, so an unreachable cluster fails fast. */
const connectTimeoutMsMax = 2_000;

function writeLine(command: KvCommand, result: WriteResult): string {
  const past = { update: 'updated', create: 'created', delete: 'deleted', get: 'read' };
  const key = JSON.stringify(command.key);
  return `${past[command.op]} ${key} at version ${result.version}`;
}

async function runOp(client: TroupeClient, command: KvCommand, out: Out): Promise<void> {
  const options = { timeoutMs: command.timeoutMs };
  const { key } = command;
  if (command.op === 'get') {
    const got = await client.get(key, options);
    const shown = { key, exists: got.exists, value: got.value ?? null, version: got.version };
    if (command.json) out.json(shown);
    if (!got.exists) throw new NotFoundError(key);
    if (!command.json) out.line(JSON.stringify(got.value));
    return;
  }
  const result =
    command.op === 'update'
      ? await client.update(key, command.value, options)
      : command.op === 'create'
        ? await client.create(key, command.value, options)
        : await client.delete(key, options);
  if (command.json) out.json({ key, version: result.version, prevVersion: result.prevVersion });
  else out.line(writeLine(command, result));
}

/** Whether the client never got a connection: nothing reached the cluster. */
function neverConnected(client: TroupeClient, error: unknown): boolean {
  if (!(error instanceof TroupeError)) return false;
  const reachable = client.status().connects > 0;
  if (reachable) return false;
  return error instanceof UnavailableError || error.code === 'TROUPE_ERR_TIMEOUT';
}

/** A client of the CLI: operations time out after `timeoutMs`, connecting fails fast. */
export function openClient(
  balancers: readonly string[],
  timeoutMs: number,
  extra: Partial<ClientOptions> = {},
): TroupeClient {
  return createClient({
    balancers,
    requestTimeoutMs: timeoutMs,
    connectTimeoutMs: Math.min(connectTimeoutMsMax, timeoutMs),
    name: 'troupe-cli',
    ...extra,
  });
}

/** `error`, or UnreachableError (exit 3) when the client never reached a balancer. */
export function unreachableOr(client: TroupeClient, balancers: readonly string[], error: unknown) {
  if (!neverConnected(client, error)) return error;
  const where = balancers.join(', ');
  // A TLS failure is worth naming: unlike a refused port, it will not pass by itself.
  const last = error instanceof Error ? /\(last: (.*)\)$/.exec(error.message)?.[1] : undefined;
  const tls = last !== undefined && /certificate|TLS|SSL/i.test(last) ? ` (${last})` : '';
  return new UnreachableError(`cannot reach the cluster at ${where}${tls}`, { cause: error });
}

export async function runKv(command: KvCommand, out: Out): Promise<void> {
  const balancers = balancerTargets(command.balancer, command.dataDir);
  const client = openClient(balancers, command.timeoutMs, {
    ...clientTls(command.tlsCa),
    ...clientToken(command.token),
  });
  try {
    await runOp(client, command, out);
  } catch (error) {
    throw unreachableOr(client, balancers, error);
  } finally {
    await client.close();
  }
}
