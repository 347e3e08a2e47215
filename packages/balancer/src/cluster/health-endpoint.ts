// The `health` actor nodes heartbeat. A beat is believed only about the node that sent it: the
// sender ref a node attaches names the node of the authenticated connection the beat came
// over, and a beat naming another node (a confused or hostile peer) is dropped and logged, at
// most once per sender every 10 s, so it can neither fake a leader nor flood the log.
import { isNodeHeartbeat, type NodeHeartbeat } from '@troupe/client/protocol';
import type { Actor, Logger } from '@troupe/runtime';

const warnEveryMs = 10_000;

export function healthEndpoint(
  onBeat: (beat: NodeHeartbeat) => void,
  logger: Logger,
  nowMs: () => number,
): Actor<NodeHeartbeat, void> {
  const lastWarnMs = new Map<string, number>();
  const refuse = (from: string, claimed: string): void => {
    const last = lastWarnMs.get(from);
    if (last !== undefined && nowMs() - last < warnEveryMs) return;
    lastWarnMs.set(from, nowMs());
    logger.warn({ from, claimed }, 'heartbeat about another node dropped');
  };
  return {
    accepts: (message: unknown): message is NodeHeartbeat => isNodeHeartbeat(message),
    receive(beat, context) {
      const from = context.sender?.nodeId ?? '(no sender)';
      if (from !== beat.nodeId) return refuse(from, beat.nodeId);
      onBeat(beat);
    },
  };
}
