// Text for `pnpm bench --profile`: per process, the share of the measured window spent in
// each layer, then the heaviest functions — what RESULTS.md quotes to say where a write's
// time goes.
import type { WritePathProfile } from './profile-write-path.js';

function percent(ms: number, windowMs: number): string {
  return `${((100 * ms) / windowMs).toFixed(1)}%`.padStart(7);
}

export function profileTable(profile: WritePathProfile, functionsMax = 8): string {
  const r = profile.result;
  const totalCpuMs = profile.processes.reduce((sum, p) => sum + p.cpuMs, 0);
  const lines = [
    `CPU per write, all processes: ${r.ops > 0 ? ((1_000 * totalCpuMs) / r.ops).toFixed(0) : '-'} us`,
    `write x${r.concurrency}: ${r.opsPerS.toFixed(0)} ops/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
      `p99 ${r.p99Ms.toFixed(2)} ms (under --cpu-prof, which slows every process)`,
  ];
  const answered = Math.max(1, profile.writesAnswered);
  lines.push('', 'per write, per node (warm-up included):');
  for (const w of profile.work) {
    lines.push(
      `  ${w.nodeId}: ${(w.turns / answered).toFixed(2)} turns, ` +
        `${(w.durableWrites / answered).toFixed(2)} durable and ` +
        `${(w.applyOnlyWrites / answered).toFixed(2)} apply-only store transactions`,
    );
  }
  for (const p of profile.processes) {
    const perOp = r.ops > 0 ? ((1_000 * p.cpuMs) / r.ops).toFixed(0) : '-';
    lines.push('', `${p.process} (pid ${p.pid}): CPU ${percent(p.cpuMs, profile.windowMs)}`);
    lines.push(`  CPU per write: ${perOp} us (user + system, /proc)`);
    lines.push('  share of the window per layer (wall time in the profile; idle is waiting):');
    for (const l of p.summary.layers) {
      lines.push(`  ${l.layer.padEnd(34)} ${percent(l.ms, profile.windowMs)}`);
    }
    lines.push('  heaviest functions (self time):');
    for (const f of p.summary.functions.slice(0, functionsMax)) {
      lines.push(`    ${percent(f.ms, profile.windowMs)}  ${f.name.slice(0, 80)}`);
    }
  }
  return lines.join('\n');
}
