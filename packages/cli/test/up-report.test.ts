// What `troupe up` prints: the JSON events scripts wait on, and the uptime of the live line.
import { describe, expect, test } from 'vitest';
import type { Out } from '../src/output.js';
import { UpReport, uptime } from '../src/up-report.js';

function recorder(): { out: Out; lines: string[] } {
  const lines: string[] = [];
  const out: Out = {
    line: (text) => void lines.push(text),
    json: (value) => void lines.push(JSON.stringify(value)),
    error: (text) => void lines.push(`troupe: ${text}`),
  };
  return { out, lines };
}

describe('up report', () => {
  test('uptime', () => {
    expect([0, 59_999, 75_000, 3_723_000].map(uptime)).toEqual(['0s', '59s', '1m15s', '1h2m3s']);
  });

  test('text: the URLs on their own lines; a pipe gets a status line only on change', () => {
    const { out, lines } = recorder();
    const report = new UpReport(out, false, false);
    const info = { dataDir: '/d', pids: { n1: 1 }, tookMs: 1_500, dashboard: 'http://h:1/' };
    report.ready({ ...info, client: ['ws://h:1', 'ws://h:2'] });
    report.status('a');
    report.status('a');
    report.status('b');
    report.stopping('SIGINT');
    report.status('c');
    report.stopped();
    expect(lines).toEqual([
      'every shard has a leader (1.5 s)',
      'client: ws://h:1,ws://h:2',
      'dashboard: http://h:1/',
      'logs: /d/logs (Ctrl-C stops every process)',
      'a',
      'b',
      'SIGINT: stopping every process',
      'stopped',
    ]);
  });

  test('json: one event per line', () => {
    const { out, lines } = recorder();
    const report = new UpReport(out, true, true);
    report.childExited('node', 'n2', 42, { code: null, signal: 'SIGKILL' }, '/d/logs/n2.log');
    expect(JSON.parse(lines[0] ?? '')).toEqual({
      event: 'exit',
      kind: 'node',
      id: 'n2',
      pid: 42,
      code: null,
      signal: 'SIGKILL',
    });
  });

  test('json: the status event only when the line changes', () => {
    const { out, lines } = recorder();
    const report = new UpReport(out, true, false);
    for (const line of ['a', 'a', 'b', 'b', 'a']) report.status(line);
    expect(lines.map((l) => JSON.parse(l).line)).toEqual(['a', 'b', 'a']);
  });

  test('leftovers of a killed run: one line, or nothing when there were none', () => {
    const { out, lines } = recorder();
    const report = new UpReport(out, false, false);
    const none = { holderPid: 7, stopped: [], killed: [], skipped: [] };
    report.leftovers(none);
    expect(lines).toEqual([]);
    report.leftovers({
      holderPid: 7,
      stopped: [
        { kind: 'balancer', id: 'b1', pid: 11 },
        { kind: 'node', id: 'n1', pid: 12 },
      ],
      killed: ['n1'],
      skipped: [{ kind: 'node', id: 'n2', pid: 13 }],
    });
    expect(lines).toEqual([
      'stopped 2 process(es) left running by a troupe up that was killed (pid 7): ' +
        'b1 (pid 11), n1 (pid 12); needed SIGKILL: n1; left pid(s) 13 alone (now other processes)',
    ]);
    const json = recorder();
    new UpReport(json.out, true, false).leftovers({ ...none, killed: ['x'], stopped: [] });
    expect(json.lines).toEqual([]);
  });
});
