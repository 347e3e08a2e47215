// Style and purity rules that a formatter cannot check (CONVENTIONS.md 2 and 15): every source
// file opens with a comment saying its role; functions stay within 70 lines; lines within 100
// columns; and the pure cores (the Raft core, the simulator) use no clock, randomness or I/O.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import { repoRoot } from './harness/processes.js';

const functionLinesMax = 70;
const lineColumnsMax = 100;

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const packageSources = readdirSync(join(repoRoot, 'packages')).flatMap((pkg) =>
  sourceFiles(join(repoRoot, 'packages', pkg, 'src')),
);
const pureSources = [
  ...sourceFiles(join(repoRoot, 'packages/node/src/raft')),
  ...sourceFiles(join(repoRoot, 'test/sim')),
];
const rel = (path: string): string => relative(repoRoot, path);

/** Each ban with the reason a reader needs when it fires. */
const pureBans: Array<{ pattern: RegExp; reason: string }> = [
  { pattern: /\bMath\.random\b/, reason: 'randomness must come from the injected Rng' },
  { pattern: /\bDate\b/, reason: 'time must come from ticks / the injected clock' },
  { pattern: /\bperformance\b/, reason: 'time must come from ticks / the injected clock' },
  {
    pattern: /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\b/,
    reason: 'no timers: the host drives tick()',
  },
  { pattern: /\bprocess\./, reason: 'no process state: the core must be replayable' },
  {
    pattern: /from '(node:[^']+|fs|net|os|crypto|child_process|ws|lmdb|pino)'/,
    reason: 'no I/O imports in a pure core',
  },
];

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('tidy', () => {
  test('every package source file opens with a comment saying its role', () => {
    const missing = packageSources.filter((file) => !readFileSync(file, 'utf8').startsWith('//'));
    expect(missing.map(rel)).toEqual([]);
  });

  test(`no line in package sources is longer than ${lineColumnsMax} columns`, () => {
    const long = packageSources.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${rel(file)}:${i + 1}` }))
        .filter(({ line }) => line.length > lineColumnsMax)
        .map(({ at }) => at),
    );
    expect(long).toEqual([]);
  });

  test(`no function in package sources is longer than ${functionLinesMax} lines`, () => {
    const tooLong: string[] = [];
    for (const file of packageSources) {
      const source = ts.createSourceFile(
        file,
        readFileSync(file, 'utf8'),
        ts.ScriptTarget.ES2022,
        true,
      );
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const start = source.getLineAndCharacterOfPosition(node.getStart()).line;
          const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (end - start + 1 > functionLinesMax)
            tooLong.push(`${rel(file)}:${start + 1} (${end - start + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(tooLong).toEqual([]);
  });

  test.each(pureBans)('pure cores: $reason ($pattern)', ({ pattern }) => {
    const offenders = pureSources.filter((file) =>
      pattern.test(withoutComments(readFileSync(file, 'utf8'))),
    );
    expect(offenders.map(rel)).toEqual([]);
  });

  test('the bans catch what they ban and ignore comments', () => {
    const samples = [
      'const t = Date.now();',
      'const r = Math.random();',
      'setTimeout(f, 1);',
      "import { readFileSync } from 'node:fs';",
      'const p = process.env.X;',
    ];
    for (const sample of samples) {
      expect(pureBans.some(({ pattern }) => pattern.test(withoutComments(sample)))).toBe(true);
    }
    expect(pureBans.some(({ pattern }) => pattern.test(withoutComments('// Date.now()')))).toBe(
      false,
    );
  });
});
