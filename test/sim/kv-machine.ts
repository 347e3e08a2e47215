// The small key-value state machine each simulated replica applies committed entries to.
// Versions grow by one per write to a key and keep counting across deletes. An operation id is
// applied at most once (a duplicated proposal is remembered, not re-applied), so what the
// checker sees is Raft's ordering, not the network's duplication.

export type KvOp =
  | { id: string; f: 'update'; key: string; value: number; ifVersion?: number }
  | { id: string; f: 'create'; key: string; value: number }
  | { id: string; f: 'delete'; key: string; ifVersion?: number };

export type KvResult =
  | { ok: true; version: number; deleted?: boolean }
  | { ok: false; code: 'VersionConflict' | 'AlreadyExists' };

export interface KvRead {
  value: number;
  version: number;
}

interface KeyState {
  value: number | undefined;
  version: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeOp(op: KvOp): Uint8Array {
  return encoder.encode(JSON.stringify(op));
}

export function decodeOp(data: Uint8Array): KvOp {
  return JSON.parse(decoder.decode(data)) as KvOp;
}

export class KvMachine {
  private keys = new Map<string, KeyState>();
  private results = new Map<string, KvResult>();

  /** Applies an op once; a repeat returns the first result. */
  apply(op: KvOp): KvResult {
    const seen = this.results.get(op.id);
    if (seen) return seen;
    const result = this.execute(op);
    this.results.set(op.id, result);
    return result;
  }

  read(key: string): KvRead | null {
    const state = this.keys.get(key);
    if (!state || state.value === undefined) return null;
    return { value: state.value, version: state.version };
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ keys: [...this.keys], results: [...this.results] }));
  }

  static restore(data: Uint8Array): KvMachine {
    const machine = new KvMachine();
    if (data.length === 0) return machine;
    const parsed = JSON.parse(decoder.decode(data)) as {
      keys: Array<[string, KeyState]>;
      results: Array<[string, KvResult]>;
    };
    machine.keys = new Map(parsed.keys);
    machine.results = new Map(parsed.results);
    return machine;
  }

  private execute(op: KvOp): KvResult {
    const state = this.keys.get(op.key) ?? { value: undefined, version: 0 };
    const present = state.value !== undefined;
    if ('ifVersion' in op && op.ifVersion !== undefined) {
      const current = present ? state.version : 0;
      if (current !== op.ifVersion) return { ok: false, code: 'VersionConflict' };
    }
    switch (op.f) {
      case 'create':
        if (present) return { ok: false, code: 'AlreadyExists' };
        return this.write(op.key, state, op.value);
      case 'update':
        return this.write(op.key, state, op.value);
      case 'delete':
        if (!present) return { ok: true, version: state.version, deleted: false };
        this.keys.set(op.key, { value: undefined, version: state.version + 1 });
        return { ok: true, version: state.version + 1, deleted: true };
    }
  }

  private write(key: string, state: KeyState, value: number): KvResult {
    const version = state.version + 1;
    this.keys.set(key, { value, version });
    return { ok: true, version };
  }
}
