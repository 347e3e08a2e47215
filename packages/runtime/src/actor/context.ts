// The context object an actor receives with each message: its own ref, the current sender,
// and the calls that reach back into the system (spawn, watch, stop).
import type { ActorCell } from './cell.js';
import type { ActorRef } from './ref.js';
import type { ActorContext, ActorFactory, DeferredReply, SpawnOptions } from './types.js';

/** The system operations a context needs, implemented by ActorSystem. */
export interface ContextHost {
  spawnChild(
    parent: ActorCell,
    name: string,
    factory: ActorFactory,
    options?: SpawnOptions,
  ): ActorRef;
  watch(watcher: ActorCell, target: ActorRef): void;
  unwatch(watcher: ActorCell, target: ActorRef): void;
  watchNode(watcher: ActorCell, nodeId: string): void;
}

export function createContext(host: ContextHost, cell: ActorCell): ActorContext {
  return {
    get self() {
      return cell.ref;
    },
    get log() {
      return cell.log;
    },
    get sender() {
      return cell.currentSender;
    },
    watch: (target) => host.watch(cell, target),
    unwatch: (target) => host.unwatch(cell, target),
    watchNode: (nodeId) => host.watchNode(cell, nodeId),
    spawn: <CM, CR>(name: string, factory: ActorFactory<CM, CR>, options?: SpawnOptions) =>
      host.spawnChild(cell, name, factory as ActorFactory, options) as ActorRef<CM, CR>,
    stop: () => {
      void cell.stop();
    },
    deferReply: <R>() => cell.deferReply() as DeferredReply<R>,
  };
}
