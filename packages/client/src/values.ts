// How the SDK turns application values into the bytes stored under a key, and back: msgpack
// (msgpackr) with its extensions for the types JSON lacks. Map needs one more: msgpackr writes
// an exact Map as a plain msgpack map, which reads back as an object, so Maps are swapped for
// a private subclass on the way out and carried as extension type 0x4d ('M'). Only that
// subclass uses the extension, so other msgpackr users in the process are not affected.
// docs/client.md lists what round-trips.
import { addExtension, Packr } from 'msgpackr';

const mapExtensionType = 0x4d;

class WireMap extends Map<unknown, unknown> {}

addExtension({
  Class: WireMap,
  type: mapExtensionType,
  write: (map: WireMap) => [...map],
  read: (entries: [unknown, unknown][]) => new Map(entries),
});

// Records need shared state on both ends; every stored value must decode on its own. A
// function would be written as nil (stored as undefined): refuse it like a symbol.
const packr = new Packr({
  useRecords: false,
  moreTypes: true,
  useBigIntExtension: true,
  writeFunction: () => {
    throw new TypeError('a function cannot be stored');
  },
});

/** Replaces every Map in `value` with a WireMap; copies only along paths that hold one. */
function withWireMaps(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth > 256) return value;
  if (value.constructor === Map) {
    const map = value as Map<unknown, unknown>;
    const entries = [...map].map(([k, v]) => [
      withWireMaps(k, depth + 1),
      withWireMaps(v, depth + 1),
    ]);
    return new WireMap(entries as [unknown, unknown][]);
  }
  if (value.constructor === Set) {
    const set = value as Set<unknown>;
    const items = [...set].map((item) => withWireMaps(item, depth + 1));
    return items.some((item) => !set.has(item)) ? new Set(items) : set;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item = withWireMaps(value[i], depth + 1);
      if (item === value[i]) continue;
      copy ??= [...value];
      copy[i] = item;
    }
    return copy ?? value;
  }
  if (value.constructor !== Object) return value;
  let copy: Record<string, unknown> | null = null;
  for (const [key, item] of Object.entries(value)) {
    const wired = withWireMaps(item, depth + 1);
    if (wired === item) continue;
    copy ??= { ...(value as Record<string, unknown>) };
    copy[key] = wired;
  }
  return copy ?? value;
}

/** The stored form of `value`; throws when msgpack cannot carry it (functions, symbols). */
export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(withWireMaps(value, 0));
}

export function decodeValue(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
