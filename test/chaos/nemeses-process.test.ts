// The CI chaos suite, process faults: SIGKILL and restart of a node, SIGSTOP/SIGCONT of a
// node, and SIGKILL and restart of a balancer, each for about 20 s under the workload.
import { describe, test } from 'vitest';
import type { NemesisKind } from './nemesis.js';
import { runNemesisSuite, suiteTimeoutMs } from './nemesis-suite.js';

const kinds: NemesisKind[] = ['kill', 'pause', 'kill-balancer'];

describe.each(kinds)('nemesis %s', (kind) => {
  test(
    'linearizable, versions never go back, no acknowledged write lost',
    () => runNemesisSuite(kind, 11 + kinds.indexOf(kind)),
    suiteTimeoutMs,
  );
});
