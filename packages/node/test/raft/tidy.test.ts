// Tidy checks for the Raft core (after TigerBeetle's tidy.zig): the purity bans, with the
// reason for each, and the style numbers (file header comment, 100 columns, functions of at
// most 70 lines, no `any`). Biome enforces most bans too; this test explains them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const raftDir = fileURLToPath(new URL('../../src/raft/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(raftDir).map((path) => ({
  name: relative(raftDir, path),
  text: readFileSync(path, 'utf8'),
}));

const purity = 'the core is a pure function of its inputs; the host injects';
const bans: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\b/, `${purity} time as ticks`],
  [/Math\.random/, `${purity} randomness as an Rng, so a seed replays a run`],
  [/\b(setTimeout|setInterval|setImmediate|clearTimeout|clearInterval)\b/, `${purity} ticks`],
  [/\bqueueMicrotask\b/, `${purity} scheduling: the host drives the Ready loop`],
  [/\bperformance\b/, `${purity} time; clocks differ between runs`],
  [/\bprocess\b/, `${purity} configuration; process state differs between runs`],
  [/\brequire\(/, 'ESM only, and no hidden dependencies'],
  [/:\s*any\b|\bas any\b|<any>/, 'no `any`: the message union must stay checked'],
];

function codeOnly(text: string): string {
  // Comments may name banned things to explain them; only code counts.
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"])\/\/.*$/gm, '$1');
}

describe('tidy: src/raft', () => {
  it('finds the core', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const [pattern, reason] of bans) {
    it(`bans ${pattern.source}: ${reason}`, () => {
      const offenders = files.filter((f) => pattern.test(codeOnly(f.text))).map((f) => f.name);
      expect(offenders).toEqual([]);
    });
  }

  it('imports only its own files and @troupe/runtime/assert', () => {
    const offenders: string[] = [];
    for (const f of files) {
      for (const match of f.text.matchAll(/from '([^']+)'/g)) {
        const target = match[1]!;
        const allowed = target.startsWith('./') || target.startsWith('../');
        if (!allowed && target !== '@troupe/runtime/assert') offenders.push(`${f.name}: ${target}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every file opens with a comment saying its role', () => {
    expect(files.filter((f) => !f.text.startsWith('//')).map((f) => f.name)).toEqual([]);
  });

  it('lines are at most 100 columns', () => {
    const long = files.flatMap((f) =>
      f.text
        .split('\n')
        .map((line, i) => [line.length, i + 1] as const)
        .filter(([length]) => length > 100)
        .map(([length, line]) => `${f.name}:${line} (${length})`),
    );
    expect(long).toEqual([]);
  });

  it('functions are at most 70 lines', () => {
    const long: string[] = [];
    for (const f of files) {
      const source = ts.createSourceFile(f.name, f.text, ts.ScriptTarget.ES2022, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
          const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
          const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
          if (end - start + 1 > 70) long.push(`${f.name}:${start + 1} (${end - start + 1} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    expect(long).toEqual([]);
  });
});
