// Shared by the benchmark commands: their flags, their main (cleaning up every process it
// started), the machine facts printed with every result, and the update of one command's
// section of bench/RESULTS.md (between its start/end markers).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { stopAll } from './processes.js';

const resultsPath = 'bench/RESULTS.md';

/** Date, CPU, memory and versions, then `extra` lines (setup, the exact command). */
export function machineFacts(extra: readonly string[]): string {
  const cpu = cpus();
  return [
    `- date: ${new Date().toISOString()}`,
    `- cpu: ${cpu[0]?.model ?? 'unknown'} x ${cpu.length}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- node ${process.version}, linux ${release()}`,
    ...extra,
  ].join('\n');
}

/** Replaces (or appends) the section `name` of bench/RESULTS.md with `title` and `body`. */
export function recordSection(name: string, title: string, body: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  let text = '';
  try {
    text = readFileSync(resultsPath, 'utf8');
  } catch {
    text =
      '# Benchmark results\n\nFigures recorded by the benchmark commands; never edited by hand.\n';
  }
  const block = `${start}\n## ${title}\n\n${body}\n${end}`;
  const at = text.indexOf(start);
  const next =
    at >= 0
      ? text.slice(0, at) + block + text.slice(text.indexOf(end) + end.length)
      : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(resultsPath, next);
}

/** Command-line flags; `pnpm bench:x -- --write` hands the `--` through, so it is dropped. */
export function benchArgs<T extends ParseArgsConfig['options']>(options: T) {
  return parseArgs({ args: process.argv.slice(2).filter((arg) => arg !== '--'), options });
}

/**
 * Runs a benchmark's main: every process it started is stopped (by pid) on Ctrl-C and on a
 * failure, and the exit code says which.
 */
export function runBench(main: () => Promise<void>): void {
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  main()
    .then(() => process.exit(0))
    .catch(async (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      await stopAll();
      process.exit(1);
    });
}
