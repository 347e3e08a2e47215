// Cuts a V8 CPU profile to a window of the monotonic clock. V8 stamps a profile's startTime
// and the deltas between samples in microseconds of CLOCK_MONOTONIC, the clock behind
// process.hrtime in every process of this machine, so a window measured by the orchestrator
// applies to each child's profile as is.
import type { CpuProfile } from './cpu-profile.js';

export function cutToWindow(profile: CpuProfile, fromUs: number, toUs: number): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let atUs = profile.startTime;
  let lastKeptUs = fromUs;
  for (let i = 0; i < profile.samples.length; i++) {
    atUs += profile.timeDeltas[i] ?? 0;
    if (atUs < fromUs || atUs > toUs) continue;
    samples.push(profile.samples[i] ?? 0);
    timeDeltas.push(atUs - lastKeptUs);
    lastKeptUs = atUs;
  }
  return {
    nodes: profile.nodes,
    samples,
    timeDeltas,
    startTime: Math.max(profile.startTime, fromUs),
    endTime: Math.min(profile.endTime, toUs),
  };
}
