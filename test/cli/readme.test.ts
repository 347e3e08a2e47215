// README.md as a newcomer follows it: the two commands at the top (the second is what .ci/run
// runs), then the quick start — `troupe up` until it prints what the README shows, each
// `npx -y pnpm@12.4.2 troupe …` line run verbatim from the repository root and compared with
// the output its comment promises (test/e2e/readme.test.ts runs the README's TypeScript
// examples and the demo). The only liberty taken: `--data` and `--base-port` point the
// commands at a temp dir and free ports, so the test never touches ./troupe-data or port 7000.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { freePort } from '../harness/ports.js';
import { repoRoot, type SpawnedProcess, spawnTs, stopAll } from '../harness/processes.js';

const run = promisify(execFile);
const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'troupe-readme-'));
const pnpm = 'npx -y pnpm@12.4.2';
let up: SpawnedProcess | undefined;

afterAll(async () => {
  // Only `troupe up` can stop its children; SIGKILLing it (stopAll) would leave them running.
  if (up !== undefined && alive(up.child.pid ?? 0)) {
    up.kill('SIGINT');
    await Promise.race([up.exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  }
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
});

/** The fenced blocks of a README section, in order, each as its lines. */
function blocks(section: string, fence: string): string[][] {
  const start = readme.indexOf(`\n## ${section}\n`);
  expect(start, `README has a "## ${section}" section`).toBeGreaterThanOrEqual(0);
  const next = readme.indexOf('\n## ', start + 1);
  const body = readme.slice(start, next < 0 ? undefined : next);
  const found: string[][] = [];
  const pattern = new RegExp(`\`\`\`${fence}\\n([\\s\\S]*?)\`\`\``, 'g');
  for (const match of body.matchAll(pattern)) found.push((match[1] ?? '').trimEnd().split('\n'));
  return found;
}

/** Splits a shell command line into words: plain words and single-quoted strings. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? '');
  return words;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function shell(words: string[]): Promise<Outcome> {
  const [file, ...args] = words;
  try {
    const { stdout, stderr } = await run(file ?? '', args, { cwd: repoRoot, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('README', () => {
  test('starts with the two commands: troupe up, and the test suite .ci/run runs', () => {
    const top = readme.slice(0, readme.indexOf('\n## '));
    const commands = [...top.matchAll(/```sh\n(.*)\n```/g)].map((m) => m[1]);
    expect(commands).toEqual([
      `${pnpm} install && ${pnpm} troupe up`,
      `${pnpm} install && ${pnpm} test`,
    ]);
    const ci = readFileSync(resolve(repoRoot, '.ci/run'), 'utf8').trimEnd().split('\n');
    expect(ci.at(-1)).toBe(commands[1]);
  });

  test('the quick start works as written: up, then update/get/delete/status', async () => {
    const basePort = await freePort();
    up = spawnTs('packages/cli/src/main.ts', [
      'up',
      '--data',
      dir,
      '--base-port',
      String(basePort),
    ]);
    const [promised] = blocks('Quick start', '');
    expect(promised?.length).toBe(4);
    await up.waitForLine((line) => line.startsWith('logs: '), 60_000);
    for (const line of promised ?? []) {
      const head = (line.split(/[:(]/)[0] ?? '').trim();
      expect(up.lines.some((printed) => printed.startsWith(head))).toBe(true);
    }

    const [commands] = blocks('Quick start', 'sh');
    expect(commands?.length).toBeGreaterThanOrEqual(5);
    for (const line of commands ?? []) {
      const [command = '', comment = ''] = line.split(/\s+# /);
      const words = shellWords(command);
      expect(words.slice(0, 4)).toEqual([...pnpm.split(' '), 'troupe']);
      const outcome = await shell([...words, '--data', dir]);
      if (words[4] === 'status') {
        expect(outcome.code).toBe(0);
        expect(outcome.stdout).toMatch(/shards have a leader/);
      } else if (comment.startsWith('troupe: ')) {
        // pnpm adds its own lines around a failed script's stderr.
        expect(outcome).toMatchObject({ code: 1, stdout: '' });
        expect(outcome.stderr.split('\n')).toContain(comment);
      } else {
        // `<n>` stands for a version: it depends on what else the shard has seen.
        const escaped = comment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const promise = new RegExp(`^${escaped.replaceAll('<n>', '\\d+')}\n$`);
        expect(outcome.code).toBe(0);
        expect(outcome.stdout).toMatch(promise);
      }
    }

    up.kill('SIGINT');
    expect(await up.exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});
