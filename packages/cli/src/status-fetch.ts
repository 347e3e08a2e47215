// Reads a balancer's GET /status over HTTP. The CLI only talks to the cluster over its public
// surfaces (this document and the client protocol), so the fields it uses are restated here
// as a structural subset of the balancer's BalancerStatus rather than imported from it.
import { isTlsFailure } from '@troupe/runtime';
import { UnreachableError } from './errors.js';
import { getWithCa } from './tls-ca.js';

export interface MemberView {
  readonly id: string;
  readonly url: string | null;
  readonly zone: string;
  readonly up: boolean;
  readonly phi: number;
  readonly leaders: number;
}

export interface ReplicaView {
  readonly node: string;
  readonly role: string | null;
  readonly lag: number | null;
  readonly up: boolean;
}

export interface GroupView {
  readonly groupId: string;
  readonly leader: string | null;
  readonly term: number;
  readonly replicas: readonly ReplicaView[];
  readonly liveReplicas: number;
}

export interface StatusView {
  readonly balancerId: string;
  readonly shardCount: number;
  readonly replicationFactor: number;
  readonly members: readonly MemberView[];
  readonly meta: GroupView | null;
  readonly shards: readonly GroupView[];
}

/** ws://host:port (the client URL) and http://host:port serve the same port. */
export function httpBase(balancer: string): string {
  return balancer.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/+$/, '');
}

function isStatus(value: unknown): value is StatusView {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return Array.isArray(v.members) && Array.isArray(v.shards) && typeof v.shardCount === 'number';
}

/**
 * The /status document, parsed; UnreachableError when nothing answers in time. `ca` (PEM) is
 * trusted for an https:// balancer besides the system's roots.
 */
export async function fetchStatus(
  balancer: string,
  timeoutMs: number,
  ca?: string,
): Promise<{ view: StatusView; raw: unknown }> {
  const url = `${httpBase(balancer)}/status`;
  let response: Response;
  try {
    response =
      ca !== undefined && url.startsWith('https:')
        ? await getWithCa(url, ca, timeoutMs)
        : await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const why =
      error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : tlsOr(error);
    throw new UnreachableError(`cannot reach a balancer at ${url} (${why})`, { cause: error });
  }
  if (!response.ok) {
    throw new UnreachableError(`${url} answered HTTP ${response.status}, not a troupe balancer`);
  }
  const raw: unknown = await response.json().catch(() => null);
  if (!isStatus(raw)) throw new UnreachableError(`${url} did not answer a troupe /status`);
  return { view: raw, raw };
}

/** 'refused', or the TLS failure (an untrusted certificate) when that is what happened. */
function tlsOr(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return isTlsFailure(cause) && cause instanceof Error ? `TLS: ${cause.message}` : 'refused';
}

/** Shards whose leader the balancer knows, of all shards. */
export function ledShards(view: StatusView): { led: number; total: number } {
  const led = view.shards.filter((s) => s.leader !== null).length;
  return { led, total: view.shardCount };
}

/** Every shard (and the meta group) has a leader: the cluster serves every key. */
export function allLed(view: StatusView): boolean {
  const { led, total } = ledShards(view);
  return total > 0 && led === total && view.meta?.leader != null;
}
