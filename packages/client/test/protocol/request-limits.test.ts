// checkRequest against limits lower than the protocol's: a balancer started with
// --key-bytes-max / --value-bytes-max announces them in its welcome and refuses beyond them
// with the same typed errors the protocol limits give; without limits, the protocol's apply.
import { describe, expect, test } from 'vitest';
import { checkRequest, kvLimits } from '../../src/protocol/index.js';

const lowered = { keyBytesMax: 8, valueBytesMax: 16 };

describe('checkRequest with lowered limits', () => {
  test('a key over the lowered bound is KEY_TOO_LARGE; at the bound it passes', () => {
    const refused = checkRequest({ op: 'get', key: 'k'.repeat(9) }, lowered);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe('TROUPE_ERR_KEY_TOO_LARGE');
    expect(checkRequest({ op: 'get', key: 'k'.repeat(8) }, lowered).ok).toBe(true);
    expect(checkRequest({ op: 'get', key: 'k'.repeat(9) }).ok).toBe(true);
  });

  test('a value over the lowered bound is VALUE_TOO_LARGE; the protocol bound still holds', () => {
    const write = (bytes: number) => ({ op: 'update', key: 'k', value: new Uint8Array(bytes) });
    const refused = checkRequest(write(17), lowered);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.code).toBe('TROUPE_ERR_VALUE_TOO_LARGE');
    expect(checkRequest(write(16), lowered).ok).toBe(true);
    expect(checkRequest(write(17)).ok).toBe(true);
    const tooBig = checkRequest(write(kvLimits.valueBytesMax + 1));
    expect(tooBig.ok).toBe(false);
  });
});
