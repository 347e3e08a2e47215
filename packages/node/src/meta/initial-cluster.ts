// Parses --initial-cluster into members and derives the cluster id from them, so that every
// founding node agrees on who is in the cluster and a data dir written by one cluster is never
// opened by another (different list or --initial-cluster-token: different id, like etcd).
//
// Format: comma-separated entries `id=host:port` or `id=host:port@zone`, for example
//   n1=127.0.0.1:7001@zone-a,n2=127.0.0.1:7002@zone-b,n3=ws://10.0.0.3:7003
// - id: a node id (printable ASCII without spaces, 1-64 characters); it cannot contain `=`
//   or `,` here, since those delimit the entry;
// - host: a DNS name or IPv4 address (lower-cased), or an IPv6 address in brackets;
// - port: 1-65535 without leading zeros; an optional `ws://` prefix is accepted, and `url`
//   is always `ws://host:port`;
// - zone: `[A-Za-z0-9_.-]{1,64}`, default `default`;
// - spaces around entries are ignored; an empty entry (say a trailing comma) is an error;
// - 1 to 64 entries; ids and URLs must be distinct.
// Members come back in the order listed; clusterIdOf does not depend on that order.
import { createHash } from 'node:crypto';
import { assert } from '@troupe/runtime/assert';
import { ClusterConfigError } from './errors.js';
import { membersMax } from './limits.js';
import {
  type ClusterMember,
  checkMember,
  checkMembers,
  defaultZone,
  normalizeMemberUrl,
  quote,
  sortMembers,
} from './members.js';

export type { ClusterMember } from './members.js';

/** Length of a cluster id: 64 bits of SHA-256, plenty to tell clusters apart. */
export const clusterIdHexChars = 16;

function parseEntry(entry: string, position: number): ClusterMember {
  const where = `initial cluster entry ${position} (${quote(entry)})`;
  if (entry === '') throw new ClusterConfigError(`initial cluster entry ${position} is empty`);
  const equals = entry.indexOf('=');
  if (equals < 0) throw new ClusterConfigError(`${where}: expected id=host:port[@zone]`);
  const id = entry.slice(0, equals);
  const rest = entry.slice(equals + 1);
  // A host never contains `@`, so the last one starts the zone.
  const at = rest.lastIndexOf('@');
  const address = at < 0 ? rest : rest.slice(0, at);
  const zone = at < 0 ? defaultZone : rest.slice(at + 1);
  const member = { id, url: normalizeMemberUrl(address, where), zone };
  checkMember(member, where);
  return member;
}

/** Parses an --initial-cluster list (format above); throws ClusterConfigError naming the part. */
export function parseInitialCluster(text: string): ClusterMember[] {
  if (text.trim() === '') throw new ClusterConfigError('initial cluster list is empty');
  const entries = text.split(',').map((entry) => entry.trim());
  if (entries.length > membersMax) {
    throw new ClusterConfigError(
      `initial cluster lists ${entries.length} members, at most ${membersMax}`,
    );
  }
  const members = entries.map((entry, index) => parseEntry(entry, index + 1));
  checkMembers(members, 'initial cluster');
  assert(members.length === entries.length, 'one member per entry');
  return members;
}

/**
 * The cluster id: the first 16 hex characters of SHA-256 over the members sorted by id (id,
 * URL and zone: zones decide placement, so a relabelled list is a different cluster) and the
 * token. JSON keeps the fields unambiguous whatever characters they contain.
 */
export function clusterIdOf(members: readonly ClusterMember[], token: string): string {
  checkMembers(members, 'cluster id');
  const canonical = sortMembers(members).map((m) => [m.id, m.url, m.zone]);
  const digest = createHash('sha256')
    .update(JSON.stringify([canonical, token]))
    .digest('hex');
  const clusterId = digest.slice(0, clusterIdHexChars);
  assert(/^[0-9a-f]{16}$/.test(clusterId), 'cluster id is 16 hex characters');
  return clusterId;
}
