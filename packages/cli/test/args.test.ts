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

describe('help', () => {
  test.each([[[]], [['--help']], [['help']]])('%j prints the command list', (argv) => {
    const command = parseCommand(argv);
    expect(command.kind === 'help' && command.text.includes('Exit codes:')).toBe(true);
  });

  test.each(['up', 'get', 'update', 'create', 'delete', 'status'])('%s --help', (name) => {
    const command = parseCommand([name, '--help']);
    expect(command.kind === 'help' && command.text.startsWith(`Usage: troupe ${name}`)).toBe(true);
  });
});
