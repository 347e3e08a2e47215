// The argument parser: what each command accepts, and that every mistake is a UsageError
// (exit 2) with a one-line message naming the argument.
import { describe, expect, test } from 'vitest';
import { parseCommand } from '../src/args.js';
import { describeFailure, exitCodes, UsageError } from '../src/errors.js';

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

describe('troupe up', () => {
  test('defaults leave the cluster shape to cluster.json', () => {
    expect(parseCommand(['up'])).toEqual({
      kind: 'up',
      nodes: null,
      balancers: null,
      shards: null,
      basePort: 7000,
      dataDir: './troupe-data',
      json: false,
    });
  });

  test('flags', () => {
    const argv = ['up', '--nodes', '5', '--balancers', '2', '--data', '/tmp/x', '--json'];
    expect(parseCommand(argv)).toMatchObject({ nodes: 5, balancers: 2, dataDir: '/tmp/x' });
  });

  test.each([
    [['up', '--nodes', '0'], '--nodes must be between 1 and 9, got 0'],
    [['up', '--nodes', 'three'], '--nodes must be an integer, got "three"'],
    [['up', '--balancers', '1.5'], '--balancers must be an integer, got "1.5"'],
    [['up', 'extra'], 'up takes no arguments, got "extra"'],
  ])('%j is refused', (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });
});

describe('kv commands', () => {
  test('get and delete take a key', () => {
    expect(parseCommand(['get', 'user:1'])).toMatchObject({ kind: 'kv', op: 'get', key: 'user:1' });
    expect(parseCommand(['delete', 'k', '--json'])).toMatchObject({ op: 'delete', json: true });
  });

  test('update and create take a JSON value', () => {
    const update = parseCommand(['update', 'k', '{"a":[1,2]}', '--balancer', 'ws://h:1']);
    expect(update).toMatchObject({ op: 'update', value: { a: [1, 2] }, balancer: 'ws://h:1' });
    expect(parseCommand(['create', 'k', '"text"'])).toMatchObject({ value: 'text' });
    expect(parseCommand(['update', 'k', 'null'])).toMatchObject({ value: null });
  });

  test.each([
    [['get'], 'missing KEY: usage: troupe get KEY'],
    [['update', 'k'], 'missing VALUE: usage: troupe update KEY VALUE'],
    [['create'], 'missing KEY: usage: troupe create KEY VALUE'],
    [['get', 'a', 'b'], 'unexpected argument "b": usage: troupe get KEY'],
    [['update', 'k', 'text'], 'VALUE must be JSON, got "text"'],
    [['get', 'k', '--balancer', 'localhost'], '--balancer must be ws://host:port'],
    [['get', 'k', '--timeout-ms', '0'], '--timeout-ms must be between'],
    [['get', 'k', '--bogus'], "Unknown option '--bogus'"],
    [['frobnicate'], 'unknown command "frobnicate"'],
  ])('%j is refused with exit 2 and one line', (argv, start) => {
    const error = usageError(argv);
    expect(error.message.startsWith(start)).toBe(true);
    const failure = describeFailure(error);
    expect(failure.exitCode).toBe(exitCodes.usage);
    expect(failure.line).not.toContain('\n');
  });
});

describe('troupe availability', () => {
  test('p and n, as a fraction or a percentage', () => {
    expect(parseCommand(['availability', '--p', '0.99', '--n', '3'])).toEqual({
      kind: 'availability',
      p: 0.99,
      n: 3,
      tier: null,
      json: false,
    });
    expect(parseCommand(['availability', '--p', '99.9%', '--n', '5'])).toMatchObject({ p: 0.999 });
    expect(parseCommand(['availability', '--p', '1', '--n', '1'])).toMatchObject({ p: 1, n: 1 });
  });

  test("a balancer tier: its own p, or the nodes' p by default", () => {
    const argv = ['availability', '--p', '0.99', '--n', '3', '--balancers', '2'];
    expect(parseCommand(argv)).toMatchObject({ tier: { balancers: 2, balancerP: 0.99 } });
    const own = parseCommand([...argv, '--balancer-p', '0.9', '--json']);
    expect(own).toMatchObject({ tier: { balancers: 2, balancerP: 0.9 }, json: true });
  });

  test.each([
    [['availability', '--n', '3'], 'missing --p'],
    [['availability', '--p', '0.9'], 'missing --n'],
    [['availability', '--p', '0', '--n', '3'], '--p must be a probability in (0, 1]'],
    [['availability', '--p', '1.01', '--n', '3'], '--p must be a probability in (0, 1]'],
    [['availability', '--p', '101%', '--n', '3'], '--p must be a probability in (0, 1]'],
    [['availability', '--p', 'high', '--n', '3'], '--p must be a probability in (0, 1]'],
    [['availability', '--p', '0.9', '--n', '0'], '--n must be between 1 and 999, got 0'],
    [['availability', '--p', '0.9', '--n', '2.5'], '--n must be an integer, got "2.5"'],
    [['availability', '--p', '0.9', '--n', '3', '--balancer-p', '0.9'], '--balancer-p needs'],
    [['availability', '--p', '0.9', '--n', '3', '--balancers', '0'], '--balancers must be'],
    [['availability', '--p', '0.9', '--n', '3', 'x'], 'availability takes no arguments'],
  ])('%j is refused with exit 2 and one line', (argv, start) => {
    const error = usageError(argv);
    expect(error.message.startsWith(start)).toBe(true);
    expect(describeFailure(error)).toMatchObject({ exitCode: exitCodes.usage });
    expect(error.message).not.toContain('\n');
  });
});

describe('troupe bench', () => {
  test('defaults', () => {
    expect(parseCommand(['bench'])).toEqual({
      kind: 'bench',
      op: 'write',
      concurrency: 16,
      durationMs: 10_000,
      warmupMs: 1_000,
      keys: 1_000,
      valueBytes: 100,
      keyPrefix: 'bench:',
      seed: 1,
      balancer: null,
      dataDir: './troupe-data',
      timeoutMs: 5_000,
      json: false,
    });
  });

  test('flags', () => {
    const argv = ['bench', '--op', 'mixed', '--concurrency', '64', '--keys', '10', '--json'];
    const more = ['--value-bytes', '1024', '--seed', '7', '--balancer', 'ws://h:1'];
    expect(parseCommand([...argv, ...more, '--warmup-ms', '0'])).toMatchObject({
      op: 'mixed',
      concurrency: 64,
      keys: 10,
      valueBytes: 1_024,
      seed: 7,
      balancer: 'ws://h:1',
      warmupMs: 0,
      json: true,
    });
  });

  test.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1.5s', 1_500],
    ['30', 30_000],
  ])('--duration %s is %i ms', (text, ms) => {
    expect(parseCommand(['bench', '--duration', text])).toMatchObject({ durationMs: ms });
  });

  test.each([
    [['bench', '--op', 'scan'], '--op must be one of write, read, stale-read, mixed'],
    [['bench', '--duration', '10 parsecs'], '--duration must be a duration like 10s'],
    [['bench', '--duration', '50ms'], '--duration must be between 100 ms and 3600 s'],
    [['bench', '--duration', '2h'], '--duration must be a duration like'],
    [['bench', '--duration', '1s', '--duration-ms', '1000'], 'give --duration or --duration-ms'],
    [['bench', '--duration-ms', '99'], '--duration-ms must be between 100 and 3600000'],
    [['bench', '--concurrency', '0'], '--concurrency must be between 1 and 1024'],
    [['bench', '--keys', '1.5'], '--keys must be an integer'],
    [['bench', '--value-bytes', '200000'], '--value-bytes must be between 1 and 131072'],
    [['bench', '--warmup-ms', '-1'], "Option '--warmup-ms' argument is ambiguous"],
    [['bench', '--key-prefix', 'k'.repeat(257)], '--key-prefix must be at most 256'],
    [['bench', '--balancer', 'nowhere'], '--balancer must be ws://host:port'],
    [['bench', 'write'], 'bench takes no arguments, got "write"'],
  ])('%j is refused with exit 2 and one line', (argv, start) => {
    const error = usageError(argv);
    expect(error.message.startsWith(start)).toBe(true);
    expect(error.message).not.toContain('\n');
  });
});

describe('troupe chaos', () => {
  test('flags pass through unchanged, in either form', () => {
    const args = ['--time', '30', '--nemesis=kill,pause', '--unsafe-follower-reads', '--seed', '3'];
    expect(parseCommand(['chaos', ...args])).toEqual({ kind: 'chaos', args });
    expect(parseCommand(['chaos'])).toEqual({ kind: 'chaos', args: [] });
  });

  test('a value that looks like a flag is a value', () => {
    expect(parseCommand(['chaos', '--out', '--weird-dir'])).toMatchObject({ kind: 'chaos' });
  });

  test.each([
    [['chaos', '--bogus'], 'chaos has no flag "--bogus": try troupe chaos --help'],
    [['chaos', '--time', '5', 'extra'], 'chaos has no argument "extra": try troupe chaos --help'],
    [['chaos', '-t', '5'], 'chaos has no argument "-t": try troupe chaos --help'],
  ])('%j is refused before the harness starts', (argv, message) => {
    expect(usageError(argv).message).toBe(message);
  });
});

describe('help', () => {
  test.each([[[]], [['--help']], [['help']]])('%j prints the command list', (argv) => {
    const command = parseCommand(argv);
    expect(command.kind === 'help' && command.text.includes('Exit codes:')).toBe(true);
  });

  const commands = ['up', 'get', 'update', 'create', 'delete', 'status', 'availability', 'bench'];
  test.each([...commands, 'chaos'])('%s --help', (name) => {
    const command = parseCommand([name, '--help']);
    expect(command.kind === 'help' && command.text.startsWith(`Usage: troupe ${name}`)).toBe(true);
    expect(command.kind === 'help' && command.text.includes('Exit codes')).toBe(true);
  });

  test('every command is in the command list', () => {
    const top = parseCommand(['--help']);
    for (const name of [...commands, 'chaos']) {
      expect(top.kind === 'help' && top.text.includes(`\n  ${name}`)).toBe(true);
    }
  });

  test('chaos --help wins over anything else given', () => {
    expect(parseCommand(['chaos', '--bogus', '--help'])).toMatchObject({ kind: 'help' });
  });

  test('no help line is wider than 100 columns', () => {
    for (const name of [...commands, 'chaos']) {
      const command = parseCommand([name, '--help']);
      const text = command.kind === 'help' ? command.text : '';
      expect(text.split('\n').filter((line) => line.length > 100)).toEqual([]);
    }
  });
});
