// The client's API reference is generated with typedoc from the source (`pnpm docs:api`); this
// keeps it buildable: every exported type the public API mentions is itself exported and
// documented, with warnings treated as errors (nothing is written).
import { expect, test } from 'vitest';
import { spawnTs } from '../harness/processes.js';

test('the API reference builds without warnings', async () => {
  const typedoc = spawnTs('node_modules/typedoc/bin/typedoc', [
    '--options',
    'packages/client/typedoc.json',
    '--emit',
    'none',
  ]);
  const exit = await typedoc.exited;
  expect(exit.code, typedoc.lines.join('\n')).toBe(0);
}, 120_000);
