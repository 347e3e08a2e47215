// What a system does with each envelope a peer sends: deliver tells and asks to local actors,
// settle asks with replies, and keep remote watches. Remote input is untrusted: every refusal
// is a typed error back to an asker, or one log line for a tell, and never a thrown exception.
import { ActorNotFoundError, codeOf, errorFromCode, messageOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import type { AskEnvelope, Envelope, TellEnvelope } from '../wire/envelope.js';
import type { AskTable } from './ask-table.js';
import type { ActorCell, Replier } from './cell.js';
import type { ActorRef } from './ref.js';
import type { WatchRegistry } from './watch-registry.js';

export interface InboundDeps {
  cell(path: string): ActorCell | undefined;
  ref(nodeId: string, path: string): ActorRef;
  send(nodeId: string, envelope: Envelope, onError?: (error: Error) => void): void;
  readonly asks: AskTable;
  readonly watches: WatchRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Handles one envelope; returns false only to defer a tell whose target mailbox is full (the
 * transport then pushes back on the sender). An ask to a full mailbox is answered at once with
 * OverloadedError instead, because an asker can be told and can retry.
 */
export function handleInbound(
  deps: InboundDeps,
  fromNodeId: string,
  envelope: Envelope,
  mayDefer: boolean,
): boolean {
  switch (envelope.kind) {
    case 'tell':
      return handleTell(deps, fromNodeId, envelope, mayDefer);
    case 'ask':
      handleAsk(deps, fromNodeId, envelope);
      break;
    case 'reply':
      deps.asks.resolveFrom(fromNodeId, envelope.askId, envelope.payload);
      break;
    case 'replyError':
      deps.asks.rejectFrom(
        fromNodeId,
        envelope.askId,
        errorFromCode(envelope.code, envelope.message),
      );
      break;
    case 'watch':
      deps.watches.onRemoteWatch(fromNodeId, envelope.target);
      break;
    case 'unwatch':
      deps.watches.onRemoteUnwatch(fromNodeId, envelope.target);
      break;
    case 'terminated':
      deps.watches.onRemoteTerminated(fromNodeId, envelope.target, envelope.reason);
      break;
    case 'heartbeat':
      break;
  }
  return true;
}

function handleTell(
  deps: InboundDeps,
  fromNodeId: string,
  envelope: TellEnvelope,
  mayDefer: boolean,
): boolean {
  const cell = deps.cell(envelope.to);
  if (cell?.isFull && mayDefer) return false;
  const sender = envelope.from === null ? undefined : deps.ref(fromNodeId, envelope.from);
  try {
    if (!cell) throw new ActorNotFoundError(`no actor at ${envelope.to}`);
    cell.deliver(envelope.payload, sender, undefined);
  } catch (error) {
    deps.logger.warn(
      { peer: fromNodeId, to: envelope.to, code: codeOf(error), reason: messageOf(error) },
      'dropped a remote tell',
    );
  }
  return true;
}

function handleAsk(deps: InboundDeps, fromNodeId: string, envelope: AskEnvelope): void {
  const replier = remoteReplier(deps, fromNodeId, envelope);
  const cell = deps.cell(envelope.to);
  const sender = envelope.from === null ? undefined : deps.ref(fromNodeId, envelope.from);
  try {
    if (!cell) throw new ActorNotFoundError(`no actor at ${envelope.to}`);
    cell.deliver(envelope.payload, sender, replier);
  } catch (error) {
    replier.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Sends the outcome back to the asking node, unless its deadline has already passed. */
function remoteReplier(deps: InboundDeps, nodeId: string, envelope: AskEnvelope): Replier {
  const deadlineMs = deps.clock.nowMs() + envelope.timeoutMs;
  const askId = envelope.askId;
  const sendError = (error: unknown): void => {
    const code = codeOf(error);
    trySend(deps, nodeId, { kind: 'replyError', askId, code, message: messageOf(error) });
  };
  return {
    resolve(value) {
      if (deps.clock.nowMs() > deadlineMs) return;
      // A reply that cannot go (too large, not encodable) is answered with its error instead.
      const reply: Envelope = { kind: 'reply', askId, payload: value };
      try {
        deps.send(nodeId, reply, sendError);
      } catch (error) {
        sendError(error);
      }
    },
    reject(error) {
      if (deps.clock.nowMs() > deadlineMs) return;
      sendError(error);
    },
  };
}

function trySend(deps: InboundDeps, nodeId: string, envelope: Envelope): void {
  try {
    deps.send(nodeId, envelope);
  } catch (error) {
    deps.logger.debug({ peer: nodeId, err: messageOf(error) }, 'reply not sent');
  }
}
