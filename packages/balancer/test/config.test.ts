// checkBalancerConfig: the defaults pass, and every bounded setting is refused just outside
// its range (and when not an integer) with BalancerConfigError, code
// TROUPE_ERR_BALANCER_CONFIG, naming the flag; identity and seed URLs are checked too.
import { describe, expect, test } from 'vitest';
import {
  type BalancerConfig,
  BalancerConfigError,
  balancerConfigDefaults,
  checkBalancerConfig,
} from '../src/config.js';

const valid: BalancerConfig = {
  ...balancerConfigDefaults,
  balancerId: 'balancer-1',
  listenPort: 0,
  seeds: ['ws://127.0.0.1:7001'],
  peerListen: null,
  peerVia: new Map(),
  clusterSecret: null,
  clientTokenKey: null,
};

type NumericField = {
  [K in keyof BalancerConfig]-?: BalancerConfig[K] extends number ? K : never;
}[keyof BalancerConfig];

const MiB = 1024 * 1024;
const ranges: ReadonlyArray<readonly [NumericField, string, number, number]> = [
  ['listenPort', '--listen port', 0, 65_535],
  ['graceMs', '--grace-ms', 1_000, 86_400_000],
  ['requestTimeoutMs', '--request-timeout-ms', 100, 120_000],
  ['attemptTimeoutMs', '--attempt-timeout-ms', 50, 60_000],
  ['heldRequestsMax', '--held-requests-max', 1, 1_000_000],
  ['clientConnectionsMax', '--client-connections-max', 1, 1_000_000],
  ['clientInflightMax', '--client-inflight-max', 1, 65_536],
  ['frameBytesMax', '--frame-bytes-max', MiB, 64 * MiB],
  ['keyBytesMax', '--key-bytes-max', 1, 1024],
  ['valueBytesMax', '--value-bytes-max', 1, 256 * 1024],
  ['clientOutboundPauseBytes', '--client-outbound-pause-bytes', 64 * 1024, 1024 * MiB],
  ['slowConsumerBytes', '--slow-consumer-bytes', valid.clientOutboundPauseBytes, 4096 * MiB],
  ['clientHelloTimeoutMs', '--client-hello-timeout-ms', 100, 60_000],
  ['connectionsPerAddressMax', '--connections-per-address-max', 1, 1_000_000],
  ['connectionRatePerAddressPerS', '--connection-rate-per-address', 1, 1_000_000],
  ['idleTimeoutMs', '--idle-timeout-ms', 1_000, 3_600_000],
  ['phiThreshold', '--phi-threshold', 1, 100],
  ['phiAcceptablePauseMs', '--phi-acceptable-pause-ms', 0, 60_000],
];

/** `valid`, with room above the pause bound so that it can reach its own maximum. */
function baseFor(field: NumericField): BalancerConfig {
  return field === 'clientOutboundPauseBytes' ? { ...valid, slowConsumerBytes: 4096 * MiB } : valid;
}

function refusalOf(config: BalancerConfig): unknown {
  try {
    checkBalancerConfig(config);
  } catch (error) {
    return error;
  }
  return null;
}

function expectRefused(config: BalancerConfig, flag: string): void {
  const error = refusalOf(config);
  expect(error).toBeInstanceOf(BalancerConfigError);
  expect((error as BalancerConfigError).code).toBe('TROUPE_ERR_BALANCER_CONFIG');
  expect((error as BalancerConfigError).message).toContain(flag);
}

describe('checkBalancerConfig', () => {
  test('the defaults with an id, a port and a seed are accepted as they are', () => {
    expect(checkBalancerConfig(valid)).toBe(valid);
  });

  test('every numeric setting has a range check below', () => {
    const numeric = Object.entries(valid)
      .filter(([, value]) => typeof value === 'number')
      .map(([key]) => key);
    expect(ranges.map(([field]) => field).sort()).toEqual(numeric.sort());
  });

  test.each(ranges)('%s accepts its bounds (%s)', (field, _flag, min, max) => {
    expect(refusalOf({ ...baseFor(field), [field]: min })).toBeNull();
    expect(refusalOf({ ...baseFor(field), [field]: max })).toBeNull();
  });

  test.each(ranges)('%s is refused just outside its bounds (%s)', (field, flag, min, max) => {
    expectRefused({ ...baseFor(field), [field]: min - 1 }, flag);
    expectRefused({ ...baseFor(field), [field]: max + 1 }, flag);
  });

  test.each(ranges)('%s is refused when not an integer (%s)', (field, flag, min) => {
    expectRefused({ ...baseFor(field), [field]: min + 0.5 }, flag);
    expectRefused({ ...baseFor(field), [field]: Number.NaN }, flag);
  });

  test('the slow-consumer bound may not be below the pause bound', () => {
    const pause = 16 * MiB;
    expect(refusalOf({ ...valid, clientOutboundPauseBytes: pause, slowConsumerBytes: pause })).toBe(
      null,
    );
    expectRefused(
      { ...valid, clientOutboundPauseBytes: pause, slowConsumerBytes: pause - 1 },
      '--slow-consumer-bytes',
    );
  });

  test('the balancer id is 1 to 64 letters, digits or _.:@-', () => {
    expect(refusalOf({ ...valid, balancerId: 'b_1.x:y@z-2' })).toBeNull();
    expect(refusalOf({ ...valid, balancerId: 'b'.repeat(64) })).toBeNull();
    expectRefused({ ...valid, balancerId: '' }, '--id');
    expectRefused({ ...valid, balancerId: 'b'.repeat(65) }, '--id');
    expectRefused({ ...valid, balancerId: 'has space' }, '--id');
    expectRefused({ ...valid, balancerId: 'a/b' }, '--id');
  });

  test('no seed is needed when nodes dial in through --peer-listen', () => {
    const dialledInto = { ...valid, seeds: [], peerListen: { host: '127.0.0.1', port: 0 } };
    expect(refusalOf(dialledInto)).toBeNull();
    expectRefused(
      { ...dialledInto, peerListen: { host: '127.0.0.1', port: 70_000 } },
      '--peer-listen',
    );
  });

  test('at least one seed is required, each ws:// or wss:// host:port', () => {
    expect(refusalOf({ ...valid, seeds: ['wss://node.example:443', 'ws://h:1'] })).toBeNull();
    expectRefused({ ...valid, seeds: [] }, '--seed');
    expectRefused({ ...valid, seeds: ['http://127.0.0.1:7001'] }, '--seed');
    expectRefused({ ...valid, seeds: ['ws://127.0.0.1:7001/path'] }, '--seed');
    expectRefused({ ...valid, seeds: ['ws://'] }, '--seed');
    expectRefused({ ...valid, seeds: ['ws://127.0.0.1:7001', 'ws://a b:1'] }, '--seed');
  });
});
