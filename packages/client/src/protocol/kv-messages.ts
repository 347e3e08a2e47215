// The key-value requests and replies exchanged with a node's `kv` endpoint (and, through the
// balancer, with clients). Plain msgpack-friendly objects: values travel as the bytes of their
// msgpack encoding, so nodes never decode user values.

export type Consistency = 'linearizable' | 'stale';

/** Exactly-once tag: a session id and a sequence number that grows with each new request. */
export interface SessionTag {
  readonly id: string;
  readonly seq: number;
}

export interface GetRequest {
  readonly op: 'get';
  readonly key: string;
  /** Default linearizable (ReadIndex via the leader); stale may be served by any replica. */
  readonly consistency?: Consistency;
}

export interface UpdateRequest {
  readonly op: 'update';
  readonly key: string;
  readonly value: Uint8Array;
  /** Compare-and-set: apply only if the key is at this version (0 = absent). */
  readonly ifVersion?: number;
  readonly session?: SessionTag;
}

export interface CreateRequest {
  readonly op: 'create';
  readonly key: string;
  readonly value: Uint8Array;
  readonly session?: SessionTag;
}

export interface DeleteRequest {
  readonly op: 'delete';
  readonly key: string;
  readonly ifVersion?: number;
  readonly session?: SessionTag;
}

export type WriteRequest = UpdateRequest | CreateRequest | DeleteRequest;
export type KvRequest = GetRequest | WriteRequest;
export type KvOp = KvRequest['op'];

/** A read: `version` 0 and `value` null when the key is absent. */
export interface GetReply {
  readonly ok: true;
  readonly op: 'get';
  readonly value: Uint8Array | null;
  readonly version: number;
}

/**
 * A write: `version` is the key's new version (for a delete, the version of the delete; the
 * key then reads as absent). `prevVersion` is the version it replaced, 0 if absent.
 */
export interface WriteReply {
  readonly ok: true;
  readonly op: 'update' | 'create' | 'delete';
  readonly version: number;
  readonly prevVersion: number;
}

export interface ErrorReply {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
  readonly shard?: number;
  readonly leader?: { readonly nodeId: string; readonly url: string | null } | null;
  readonly currentVersion?: number;
}

export type KvReply = GetReply | WriteReply | ErrorReply;
