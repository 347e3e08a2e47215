// The workload's operation mix as `--mix` gives it: weights per kind, kinds left out weigh 0,
// and every malformed spec is refused with a typed error that says how to write it.
import { describe, expect, test } from 'vitest';
import { defaultMix, parseMix, WorkloadMixError } from './workload.js';

test('weights per kind; kinds left out weigh 0', () => {
  expect(parseMix('get=1,cas=2.5')).toEqual({ get: 1, update: 0, cas: 2.5, create: 0, delete: 0 });
});

test('the default mix written out parses to the default', () => {
  expect(parseMix('get=40,update=30,cas=10,create=10,delete=10')).toEqual(defaultMix);
});

describe('bad specs are refused', () => {
  test.each([
    ['an unknown kind', 'get=1,put=2', /unknown kind 'put'/],
    ['no weight', 'get', /get needs a weight/],
    ['an empty weight', 'get=', /get needs a weight/],
    ['a negative weight', 'get=-1', /get needs a weight >= 0/],
    ['not a number', 'get=many', /get needs a weight/],
    ['all zero', 'get=0,update=0', /at least one kind/],
  ])('%s', (_name, spec, message) => {
    const error = (() => {
      try {
        parseMix(spec);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(WorkloadMixError);
    expect((error as WorkloadMixError).code).toBe('TROUPE_ERR_CHAOS_MIX');
    expect((error as Error).message).toMatch(message);
  });
});
