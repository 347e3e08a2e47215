// What a node process costs the machine, read from outside it: the bytes of its data dir
// (apparent size, and the blocks really allocated, since lmdb's map file may be sparse) and its
// memory from /proc/<pid>/status (resident now, split into anonymous and file-backed pages —
// lmdb's memory-mapped pages are file-backed — and the peak). Linux only.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface DiskUsage {
  /** Sum of file sizes (what `ls -l` shows). */
  readonly apparentBytes: number;
  /** Sum of allocated blocks x 512 (what `du` shows). */
  readonly allocatedBytes: number;
  readonly files: number;
}

export interface MemoryUsage {
  /** VmRSS: resident now. */
  readonly rssBytes: number;
  /** RssAnon: the JS heap, buffers and native allocations. */
  readonly rssAnonBytes: number;
  /** RssFile: resident pages of mapped files (lmdb's map among them) and code. */
  readonly rssFileBytes: number;
  /** VmHWM: the most the process was ever resident. */
  readonly peakRssBytes: number;
}

/** Every regular file under `dir`, recursively, summed. */
export function diskUsage(dir: string): DiskUsage {
  let apparentBytes = 0;
  let allocatedBytes = 0;
  let files = 0;
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) {
        walk(child);
        continue;
      }
      if (!entry.isFile()) continue;
      const stat = statSync(child);
      apparentBytes += stat.size;
      allocatedBytes += stat.blocks * 512;
      files++;
    }
  };
  walk(dir);
  return { apparentBytes, allocatedBytes, files };
}

/** A `Name:   1234 kB` field of /proc/<pid>/status, in bytes. */
function statusField(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match === null) throw new Error(`/proc status has no ${name}`);
  return Number(match[1]) * 1024;
}

export function memoryUsage(pid: number): MemoryUsage {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rssBytes: statusField(status, 'VmRSS'),
    rssAnonBytes: statusField(status, 'RssAnon'),
    rssFileBytes: statusField(status, 'RssFile'),
    peakRssBytes: statusField(status, 'VmHWM'),
  };
}
