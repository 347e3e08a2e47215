// Every log component a package's source names (`componentLogger(root, 'x')`, a spawn's
// `logComponent: 'x'`) is in that package's list, which is what `--log-level` accepts and what
// docs/logging.md documents: a component missing from the list could never be set apart.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { balancerLogComponents } from '../packages/balancer/src/balancer-logs.js';
import { nodeLogComponents } from '../packages/node/src/server/node-logs.js';
import { runtimeLogComponents } from '../packages/runtime/src/log.js';
import { repoRoot } from './harness/processes.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The component names written as literals in a package's source. */
function namedComponents(pkg: string): Set<string> {
  const named = new Set<string>();
  const patterns = [
    /componentLogger\([^,()]+, '([^']+)'\)/g,
    /logComponent: '([^']+)'/g,
    /\bof\('([^']+)'\)/g,
  ];
  for (const file of sources(join(repoRoot, 'packages', pkg, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) named.add(match[1] as string);
    }
  }
  return named;
}

const docs = readFileSync(join(repoRoot, 'docs/logging.md'), 'utf8');

describe.each([
  ['runtime', runtimeLogComponents as readonly string[]],
  ['node', nodeLogComponents as readonly string[]],
  ['balancer', balancerLogComponents as readonly string[]],
])('%s log components', (pkg, listed) => {
  test('every component named in the source is listed', () => {
    const named = namedComponents(pkg);
    expect(named.size).toBeGreaterThan(0);
    expect([...named].filter((name) => !listed.includes(name))).toEqual([]);
  });

  test('every listed component is documented', () => {
    expect(listed.filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });
});
