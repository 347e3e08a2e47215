// The chaos run's history on disk: JSONL, one event per line, in the order recorded, with
// times in ms since the run's origin (docs/chaos.md documents the format). Written once at
// the end of a run, read back by `pnpm chaos --check FILE` to re-run the checks on a saved
// history. Reading validates every line and names the line that is wrong.

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { HistoryEvent } from '../sim/checkers/history.js';

export class HistoryFileError extends Error {
  readonly code = 'TROUPE_ERR_CHAOS_HISTORY';
}

const types = new Set(['invoke', 'ok', 'fail', 'info']);
const kinds = new Set(['get', 'update', 'create', 'delete']);

/** Writes events with times made relative to `originMs` and rounded to microseconds. */
export async function writeHistory(
  path: string,
  events: readonly HistoryEvent[],
  originMs: number,
): Promise<void> {
  const out = createWriteStream(path);
  for (const event of events) {
    const time = Math.round((event.time - originMs) * 1_000) / 1_000;
    if (!out.write(`${JSON.stringify({ ...event, time })}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function readHistory(path: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    events.push(parseEvent(line, `${path}:${lineNo}`));
  }
  return events;
}

function parseEvent(line: string, where: string): HistoryEvent {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch (error) {
    throw new HistoryFileError(`${where}: not JSON (${(error as Error).message})`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new HistoryFileError(`${where}: an event must be a JSON object`);
  }
  const e = event as Record<string, unknown>;
  const fail = (what: string): never => {
    throw new HistoryFileError(`${where}: ${what}`);
  };
  if (typeof e.process !== 'number' && typeof e.process !== 'string') fail('process missing');
  if (typeof e.type !== 'string' || !types.has(e.type)) fail(`bad type ${String(e.type)}`);
  if (typeof e.f !== 'string' || !kinds.has(e.f)) fail(`bad f ${String(e.f)}`);
  if (typeof e.key !== 'string') fail('key must be a string');
  if (typeof e.time !== 'number' || !Number.isFinite(e.time)) fail('time must be a number');
  if (e.version !== undefined && e.version !== null && typeof e.version !== 'number') {
    fail('version must be a number or null');
  }
  return e as unknown as HistoryEvent;
}
