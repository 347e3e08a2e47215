// The start-up check for a listener others can reach: on any address but loopback, no TLS
// means anyone on the path reads and forges the traffic, and no shared secret means anyone who
// can connect joins the cluster. Both are allowed (a private network may be trusted), but never
// silently: nodes and balancers log what this returns, once, at warn.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (any spelling, IPv4-mapped too) and localhost names: this host only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIPv4(bare)) return loopback.check(bare, 'ipv4');
  if (isIPv6(bare)) return loopback.check(bare, 'ipv6');
  return false;
}

export interface ListenerExposure {
  /** What listens, as the warning names it: "node", "balancer client listener". */
  readonly what: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** Whether a shared secret guards it; null where no secret applies. */
  readonly secret: boolean | null;
}

/** One loud line per exposed listener that lacks TLS or a secret; none on loopback. */
export function exposureWarnings(listener: ListenerExposure): string[] {
  if (isLoopbackHost(listener.host)) return [];
  const missing: string[] = [];
  if (!listener.tls) missing.push('TLS');
  if (listener.secret === false) missing.push('a cluster secret');
  if (missing.length === 0) return [];
  const host = listener.host.includes(':') ? `[${listener.host}]` : listener.host;
  const risks = [
    ...(listener.tls ? [] : ['read and alter its traffic']),
    ...(listener.secret === false ? ['connect as a peer'] : []),
  ];
  return [
    `SECURITY: ${listener.what} listening on ${host}:${listener.port} without ` +
      `${missing.join(' and ')}; anyone on the network can ${risks.join(' and ')}`,
  ];
}
