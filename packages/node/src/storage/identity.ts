// The identity record: which cluster and node a data dir belongs to, and the format it was
// written in. Checked at every open so that a node never starts on another node's state (a
// copied or misconfigured dir would let one vote count twice in Raft).
import { DataDirError } from './errors.js';
import { formatVersion } from './layout.js';

export interface Identity {
  readonly clusterId: string;
  readonly nodeId: string;
  readonly formatVersion: number;
  readonly createdAtMs: number;
}

export interface ExpectedIdentity {
  readonly clusterId: string;
  readonly nodeId: string;
}

export function newIdentity(expected: ExpectedIdentity, nowMs: number): Identity {
  return {
    clusterId: expected.clusterId,
    nodeId: expected.nodeId,
    formatVersion,
    createdAtMs: nowMs,
  };
}

function isIdentity(value: unknown): value is Identity {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.clusterId === 'string' &&
    typeof record.nodeId === 'string' &&
    typeof record.formatVersion === 'number' &&
    typeof record.createdAtMs === 'number'
  );
}

/** Returns the stored identity if it is this node's; refuses the data dir otherwise. */
export function checkIdentity(file: string, stored: unknown, expected: ExpectedIdentity): Identity {
  if (!isIdentity(stored)) throw new DataDirError(file, 'identity record malformed');
  if (stored.formatVersion !== formatVersion) {
    const known = `this build reads ${formatVersion}`;
    throw new DataDirError(file, `format version ${stored.formatVersion} unknown (${known})`);
  }
  if (stored.clusterId !== expected.clusterId) {
    const problem = `belongs to cluster ${stored.clusterId}, not ${expected.clusterId}`;
    throw new DataDirError(file, `identity: ${problem}`);
  }
  if (stored.nodeId !== expected.nodeId) {
    const problem = `belongs to node ${stored.nodeId}, not ${expected.nodeId}`;
    throw new DataDirError(file, `identity: ${problem} (cluster ${stored.clusterId})`);
  }
  return stored;
}
