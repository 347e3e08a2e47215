// What the runtime's two frame targets share: a frame is msgpack-decoded, then parsed (as a
// handshake or as envelopes), and a refusal must carry one of the runtime's close codes.
import { CloseCode } from '@troupe/runtime';
import { decodeFrame } from '@troupe/runtime/internal';

export const runtimeCloseCodes: ReadonlySet<number> = new Set(Object.values(CloseCode));

type Parsed<T> = { ok: true; value: T } | { ok: false; closeCode: number; reason: string };

/** decodeFrame, then `parse` on what it decoded: the path Connection and the handshake take. */
export function decodeThenParse<T>(
  input: Uint8Array,
  parse: (decoded: unknown) => Parsed<T>,
): Parsed<T> {
  const decoded = decodeFrame(input);
  if (!decoded.ok)
    return { ok: false, closeCode: CloseCode.invalidPayload, reason: decoded.reason };
  return parse(decoded.value);
}
