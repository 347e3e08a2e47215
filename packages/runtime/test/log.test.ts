// Logs: the level spec (`info,transport=debug`) parses or is refused with LOG_CONFIG; a
// component's override changes which lines reach the destination, for its children too;
// loggers without a spec (silentLogger, a test's own pino) keep their level in every component;
// an actor spawned with `logComponent` logs under it; pretty on a terminal, JSON otherwise.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import {
  type Actor,
  ActorSystem,
  chooseLogFormat,
  componentLogger,
  createLogger,
  LogConfigError,
  type LoggerOptions,
  logSettingsFrom,
  parseLogFormat,
  parseLogLevels,
  silentLogger,
} from '../src/index.js';

interface Line {
  level: number;
  msg: string;
  component?: string;
  [key: string]: unknown;
}

/** A destination that keeps what it is given, as text and (for JSON) parsed. */
function memory() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const lines = (): Line[] => chunks.map((chunk) => JSON.parse(chunk) as Line);
  return { stream, chunks, lines };
}

function jsonLogger(level: string, extra: LoggerOptions = {}) {
  const out = memory();
  const root = createLogger({ level, format: 'json', destination: out.stream, env: {}, ...extra });
  return { root, out };
}

function refusal(run: () => unknown): LogConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LogConfigError);
    expect((error as LogConfigError).code).toBe('TROUPE_ERR_LOG_CONFIG');
    return error as LogConfigError;
  }
  throw new Error('expected a LogConfigError');
}

describe('parseLogLevels', () => {
  test('a bare level is the default and no component differs', () => {
    expect(parseLogLevels('debug')).toEqual({ default: 'debug', components: new Map() });
  });

  test('component=level entries override it; spaces are ignored; info when no bare level', () => {
    expect(parseLogLevels(' warn , transport = debug,raft=silent')).toEqual({
      default: 'warn',
      components: new Map([
        ['transport', 'debug'],
        ['raft', 'silent'],
      ]),
    });
    expect(parseLogLevels('multi-raft=trace,actor=error')).toEqual({
      default: 'info',
      components: new Map([
        ['multi-raft', 'trace'],
        ['actor', 'error'],
      ]),
    });
  });

  test.each([
    ['empty', '', /empty/],
    ['an unknown level', 'loud', /unknown level "loud"/],
    ['two defaults', 'info,debug', /two default levels/],
    ['an unknown component level', 'transport=loud', /transport: unknown level/],
    ['no level', 'transport=', /transport: unknown level ""/],
    ['no component', '=debug', /bad component name ""/],
    ['an upper-case component', 'Transport=debug', /bad component name "Transport"/],
    ['an empty entry', 'info,,raft=debug', /empty entry/],
    ['a component twice', 'raft=debug,raft=info', /sets raft twice/],
  ])('%s is refused', (_name, spec, says) => {
    expect(refusal(() => parseLogLevels(spec)).message).toMatch(says);
  });

  test('with a list of known components, any other name is refused', () => {
    expect(parseLogLevels('raft=debug', ['raft']).components.get('raft')).toBe('debug');
    expect(refusal(() => parseLogLevels('rafts=debug', ['raft', 'kv'])).message).toBe(
      'unknown log component "rafts" (known: raft, kv)',
    );
  });
});

describe('component levels', () => {
  test('an override lets one component through below the default, children included', () => {
    const { root, out } = jsonLogger('warn,transport=debug');
    const transport = componentLogger(root, 'transport');
    const actor = componentLogger(root, 'actor');
    transport.debug('t-debug');
    transport.child({ peer: 'n2' }).debug('t-peer-debug');
    transport.trace('t-trace');
    actor.debug('a-debug');
    actor.warn('a-warn');
    root.info('root-info');
    root.warn('root-warn');
    expect(out.lines().map((l) => [l.component, l.msg])).toEqual([
      ['transport', 't-debug'],
      ['transport', 't-peer-debug'],
      ['actor', 'a-warn'],
      [undefined, 'root-warn'],
    ]);
    expect(out.lines()[1]).toMatchObject({ peer: 'n2', component: 'transport' });
  });

  test('an override can also quieten a component', () => {
    const { root, out } = jsonLogger('debug,raft=error');
    componentLogger(root, 'raft').warn('r-warn');
    componentLogger(root, 'raft').error('r-error');
    componentLogger(root, 'kv').debug('k-debug');
    expect(out.lines().map((l) => l.msg)).toEqual(['r-error', 'k-debug']);
  });

  test('a logger without a spec keeps its level in every component', () => {
    const silent = componentLogger(silentLogger(), 'transport');
    expect(silent.level).toBe('silent');
    expect(silent.child({ peer: 'n2' }).isLevelEnabled('fatal')).toBe(false);
    const out = memory();
    const warnOnly = componentLogger(pino({ level: 'warn' }, out.stream), 'transport');
    warnOnly.info('dropped');
    warnOnly.warn('kept');
    expect(out.lines().map((l) => [l.component, l.msg])).toEqual([['transport', 'kept']]);
  });

  test('TROUPE_LOG_LEVEL is the spec when none is given', () => {
    const out = memory();
    const root = createLogger({
      format: 'json',
      destination: out.stream,
      env: { TROUPE_LOG_LEVEL: 'error,store=info' },
    });
    root.warn('dropped');
    componentLogger(root, 'store').info('kept');
    expect(out.lines().map((l) => l.msg)).toEqual(['kept']);
    expect(() => createLogger({ env: { TROUPE_LOG_LEVEL: 'chatty' } })).toThrow(LogConfigError);
    expect(createLogger({ env: { TROUPE_LOG_LEVEL: '' }, destination: out.stream }).level).toBe(
      'info',
    );
  });
});

describe('actors and the transport log under their components', () => {
  const systems: ActorSystem[] = [];
  afterEach(async () => {
    await Promise.all(systems.map((s) => s.shutdown({ timeoutMs: 200 })));
    systems.length = 0;
  });

  test('logComponent gives an actor its component; others log under actor', async () => {
    const { root, out } = jsonLogger('error,kv=debug', { base: { nodeId: 'n1' } });
    const system = await ActorSystem.start({ nodeId: 'n1', logger: root });
    systems.push(system);
    const chatty = (): Actor<string, string> => ({
      receive(message, context) {
        context.log.debug({ got: message }, 'handled');
        return message;
      },
    });
    system.spawn('kv', chatty, { logComponent: 'kv' });
    system.spawn('other', chatty);
    await system.ref('n1', 'kv').ask('a');
    await system.ref('n1', 'other').ask('b');
    expect(out.lines()).toEqual([
      expect.objectContaining({ nodeId: 'n1', component: 'kv', actor: 'kv', got: 'a' }),
    ]);
  });

  test('the transport logs under transport, the system under actor', async () => {
    const a = jsonLogger('silent,transport=debug,actor=info');
    const b = jsonLogger('silent');
    const server = await ActorSystem.start({ nodeId: 'a', listen: { port: 0 }, logger: a.root });
    const client = await ActorSystem.start({ nodeId: 'b', logger: b.root });
    systems.push(client, server);
    await client.connect(server.listenUrl!);
    await client.shutdown({ timeoutMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const components = new Set(a.out.lines().map((l) => l.component));
    expect(components).toEqual(new Set(['transport', 'actor']));
    expect(a.out.lines()).toContainEqual(
      expect.objectContaining({ component: 'actor', msg: 'peer connected', peer: 'b' }),
    );
    expect(b.out.chunks).toEqual([]);
  });
});

describe('format', () => {
  test('pretty on a terminal, JSON otherwise; TROUPE_LOG_FORMAT and the option override', () => {
    expect(chooseLogFormat(undefined, {}, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, {}, false)).toBe('json');
    expect(chooseLogFormat(undefined, { TROUPE_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(chooseLogFormat(undefined, { TROUPE_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(chooseLogFormat('json', { TROUPE_LOG_FORMAT: 'pretty' }, true)).toBe('json');
    expect(chooseLogFormat(undefined, { TROUPE_LOG_FORMAT: '' }, false)).toBe('json');
    expect(
      refusal(() => chooseLogFormat(undefined, { TROUPE_LOG_FORMAT: 'xml' }, true)).message,
    ).toBe('log format must be json or pretty, got "xml"');
    expect(parseLogFormat('pretty')).toBe('pretty');
  });

  test('a terminal destination gets human lines with the component, in colour', () => {
    const out = memory();
    const root = createLogger({ level: 'info', destination: out.stream, isTTY: true, env: {} });
    componentLogger(root, 'raft').info({ group: 's1' }, 'became leader');
    expect(out.chunks).toHaveLength(1);
    const line = out.chunks[0] ?? '';
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toContain('[raft] became leader');
    expect(line).toContain('"group":"s1"');
    expect(line).toContain('\u001b['); // ANSI colour
    expect(line.endsWith('\n')).toBe(true);
  });

  test('anything else gets one JSON object per line', () => {
    const out = memory();
    const root = createLogger({ level: 'info', destination: out.stream, isTTY: false, env: {} });
    componentLogger(root, 'raft').info({ group: 's1' }, 'became leader');
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 30, component: 'raft', group: 's1', msg: 'became leader' }),
    ]);
  });

  test('forced pretty into a file or pipe is pretty without colour', () => {
    const out = memory();
    const root = createLogger({
      destination: out.stream,
      isTTY: false,
      env: { TROUPE_LOG_FORMAT: 'pretty' },
    });
    root.info('hello');
    expect(out.chunks[0]).toMatch(/INFO: hello/);
    expect(out.chunks[0]).not.toContain('\u001b[');
  });
});

describe('logSettingsFrom', () => {
  const known = ['actor', 'transport', 'raft'];

  test('flags over the environment over the defaults', () => {
    expect(logSettingsFrom({}, {}, known)).toEqual({ level: 'info', format: null });
    const env = { TROUPE_LOG_LEVEL: 'warn,raft=debug', TROUPE_LOG_FORMAT: 'json' };
    expect(logSettingsFrom({}, env, known)).toEqual({ level: 'warn,raft=debug', format: 'json' });
    expect(logSettingsFrom({ level: 'error', format: 'pretty' }, env, known)).toEqual({
      level: 'error',
      format: 'pretty',
    });
  });

  test('a refusal names the flag or variable that is wrong', () => {
    expect(refusal(() => logSettingsFrom({ level: 'kv=debug' }, {}, known)).message).toMatch(
      /^--log-level: unknown log component "kv"/,
    );
    expect(refusal(() => logSettingsFrom({}, { TROUPE_LOG_LEVEL: 'loud' }, known)).message).toMatch(
      /^TROUPE_LOG_LEVEL: /,
    );
    expect(refusal(() => logSettingsFrom({ format: 'xml' }, {}, known)).message).toMatch(
      /^--log-format: /,
    );
    expect(
      refusal(() => logSettingsFrom({}, { TROUPE_LOG_FORMAT: 'yaml' }, known)).message,
    ).toMatch(/^TROUPE_LOG_FORMAT: /);
  });
});
