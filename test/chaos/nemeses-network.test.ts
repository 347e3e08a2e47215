// The CI chaos suite, network faults through the link proxies: a minority cut from the
// majority, the busiest leader cut from the other nodes, a node cut from everyone, a bridge,
// and the busiest leader's messages lost one way; each for about 20 s under the workload.
import { describe, test } from 'vitest';
import type { NemesisKind } from './nemesis.js';
import { runNemesisSuite, suiteTimeoutMs } from './nemesis-suite.js';

const kinds: NemesisKind[] = [
  'partition-majority',
  'isolate-leader',
  'isolate-node',
  'bridge',
  'one-way',
];

describe.each(kinds)('nemesis %s', (kind) => {
  test(
    'linearizable, versions never go back, no acknowledged write lost',
    () => runNemesisSuite(kind, 21 + kinds.indexOf(kind)),
    suiteTimeoutMs,
  );
});
