// What a cluster member is (node id, WebSocket URL, zone label) and the checks every entry
// point shares: the --initial-cluster parser, the meta state machine and the codec must accept
// exactly the same members, or a member one node accepted could crash another's decoder.
import type { MemberView } from '@troupe/client/protocol';
import { isValidNodeId } from '../raft/options.js';
import { ClusterConfigError } from './errors.js';
import { membersMax, memberUrlCharsMax, zoneNameCharsMax } from './limits.js';

/** The member as balancers and operators see it: the wire protocol's shape. */
export type ClusterMember = MemberView;

/** Zone used when a member names none. */
export const defaultZone = 'default';

const zonePattern = new RegExp(`^[A-Za-z0-9_.-]{1,${zoneNameCharsMax}}$`);
const dnsLabelPattern = /^[a-z0-9-]{1,63}$/;
const ipv6Pattern = /^\[[0-9a-f:.]+\]$/;
const portPattern = /^[1-9][0-9]{0,4}$/;
const portMax = 65_535;

export function isValidZone(zone: string): boolean {
  return zonePattern.test(zone);
}

/** Code-unit order: the same on every node whatever its locale. */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

export function sortMembers(members: readonly ClusterMember[]): ClusterMember[] {
  return [...members].sort((a, b) => compareIds(a.id, b.id));
}

function isValidHost(host: string): boolean {
  if (host.startsWith('[')) return host.includes(':') && ipv6Pattern.test(host);
  if (host.length > 253) return false;
  return host.split('.').every((label) => dnsLabelPattern.test(label));
}

/**
 * Accepts `host:port` or `ws://host:port` and returns `ws://host:port` with the host
 * lower-cased, so that two spellings of one address count as duplicates. `where` names the
 * input in the error.
 */
export function normalizeMemberUrl(text: string, where: string): string {
  const bare = text.startsWith('ws://') ? text.slice('ws://'.length) : text;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(bare)) {
    throw new ClusterConfigError(`${where}: only ws:// URLs are supported, got ${quote(text)}`);
  }
  const colon = bare.lastIndexOf(':');
  if (colon < 0) throw new ClusterConfigError(`${where}: expected host:port, got ${quote(text)}`);
  const host = bare.slice(0, colon).toLowerCase();
  const port = bare.slice(colon + 1);
  if (!isValidHost(host)) {
    throw new ClusterConfigError(`${where}: invalid host ${quote(host)} in ${quote(text)}`);
  }
  if (!portPattern.test(port) || Number(port) > portMax) {
    throw new ClusterConfigError(`${where}: port must be 1-${portMax}, got ${quote(port)}`);
  }
  const url = `ws://${host}:${port}`;
  if (url.length > memberUrlCharsMax) {
    throw new ClusterConfigError(`${where}: URL longer than ${memberUrlCharsMax} characters`);
  }
  return url;
}

/** Throws unless the member's id, canonical URL and zone are all valid. */
export function checkMember(member: ClusterMember, where: string): void {
  if (!isValidNodeId(member.id)) {
    throw new ClusterConfigError(
      `${where}: node id must be 1-64 printable ASCII characters without spaces, ` +
        `got ${quote(member.id)}`,
    );
  }
  if (normalizeMemberUrl(member.url, where) !== member.url) {
    throw new ClusterConfigError(
      `${where}: URL ${quote(member.url)} is not in ws://host:port form`,
    );
  }
  if (!isValidZone(member.zone)) {
    throw new ClusterConfigError(
      `${where}: zone must match [A-Za-z0-9_.-]{1,${zoneNameCharsMax}}, got ${quote(member.zone)}`,
    );
  }
}

/** Throws unless there are 1 to membersMax valid members with distinct ids and URLs. */
export function checkMembers(members: readonly ClusterMember[], where: string): void {
  if (members.length === 0) throw new ClusterConfigError(`${where}: no members`);
  if (members.length > membersMax) {
    throw new ClusterConfigError(`${where}: ${members.length} members, at most ${membersMax}`);
  }
  const ids = new Set<string>();
  const urls = new Set<string>();
  for (const member of members) {
    checkMember(member, `${where}: member ${quote(member.id)}`);
    if (ids.has(member.id))
      throw new ClusterConfigError(`${where}: duplicate id ${quote(member.id)}`);
    if (urls.has(member.url)) {
      throw new ClusterConfigError(`${where}: duplicate URL ${quote(member.url)}`);
    }
    ids.add(member.id);
    urls.add(member.url);
  }
}

/** JSON quoting keeps control characters and spaces visible in messages. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);
}
