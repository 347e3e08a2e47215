// Who watches whom. Local watches are direct links between cells; a remote watch sends one
// `watch` envelope and is answered by `terminated` when the target stops, or is ended by the
// node's connection going down. Every watch ends in exactly one signal, or an unwatch.
import type { Logger } from '../log.js';
import type { Envelope, TerminatedReason } from '../wire/envelope.js';
import type { ActorCell } from './cell.js';
import type { ActorRef } from './ref.js';

export interface WatchDeps {
  readonly nodeId: string;
  cell(path: string): ActorCell | undefined;
  ref(nodeId: string, path: string): ActorRef;
  /** Sends to a peer; throws when there is no connection. */
  send(nodeId: string, envelope: Envelope): void;
  isConnected(nodeId: string): boolean;
  readonly logger: Logger;
}

const remoteKey = (nodeId: string, path: string): string => `${nodeId}\u0000${path}`;

export class WatchRegistry {
  /** nodeId -> target path -> local watchers. */
  private readonly remote = new Map<string, Map<string, Set<ActorCell>>>();
  private readonly nodes = new Map<string, Set<ActorCell>>();

  constructor(private readonly deps: WatchDeps) {}

  watch(watcher: ActorCell, target: ActorRef): void {
    if (target.nodeId === this.deps.nodeId) return this.watchLocal(watcher, target);
    const byPath = this.remote.get(target.nodeId) ?? new Map<string, Set<ActorCell>>();
    this.remote.set(target.nodeId, byPath);
    const watchers = byPath.get(target.path) ?? new Set<ActorCell>();
    byPath.set(target.path, watchers);
    const first = watchers.size === 0;
    watchers.add(watcher);
    watcher.watchingRemote.add(remoteKey(target.nodeId, target.path));
    if (!first) return;
    try {
      this.deps.send(target.nodeId, { kind: 'watch', watcher: watcher.path, target: target.path });
    } catch {
      this.onRemoteTerminated(target.nodeId, target.path, 'node-down');
    }
  }

  unwatch(watcher: ActorCell, target: ActorRef): void {
    if (target.nodeId === this.deps.nodeId) {
      const cell = this.deps.cell(target.path);
      cell?.watchers.delete(watcher);
      if (cell) watcher.watching.delete(cell);
      return;
    }
    watcher.watchingRemote.delete(remoteKey(target.nodeId, target.path));
    const byPath = this.remote.get(target.nodeId);
    const watchers = byPath?.get(target.path);
    if (!byPath || !watchers?.delete(watcher) || watchers.size > 0) return;
    byPath.delete(target.path);
    const envelope: Envelope = { kind: 'unwatch', watcher: watcher.path, target: target.path };
    if (this.deps.isConnected(target.nodeId)) this.trySend(target.nodeId, envelope);
  }

  watchNode(watcher: ActorCell, nodeId: string): void {
    if (!this.deps.isConnected(nodeId)) {
      watcher.signal({ type: 'node-down', nodeId, reason: 'not connected' });
      return;
    }
    const watchers = this.nodes.get(nodeId) ?? new Set<ActorCell>();
    this.nodes.set(nodeId, watchers);
    watchers.add(watcher);
    watcher.watchingNodes.add(nodeId);
  }

  /** A cell stopped: tell its watchers, and drop every watch it held. */
  cellStopped(cell: ActorCell, reason: TerminatedReason): void {
    for (const watcher of cell.watchers) {
      watcher.watching.delete(cell);
      watcher.signal({ type: 'terminated', ref: cell.ref, reason });
    }
    cell.watchers.clear();
    for (const nodeId of cell.remoteWatcherNodes) {
      this.trySend(nodeId, { kind: 'terminated', target: cell.path, reason });
    }
    cell.remoteWatcherNodes.clear();
    this.release(cell);
  }

  onRemoteWatch(fromNodeId: string, targetPath: string): void {
    const cell = this.deps.cell(targetPath);
    if (cell && !cell.isStopped) {
      cell.remoteWatcherNodes.add(fromNodeId);
      return;
    }
    this.trySend(fromNodeId, { kind: 'terminated', target: targetPath, reason: 'not-found' });
  }

  onRemoteUnwatch(fromNodeId: string, targetPath: string): void {
    this.deps.cell(targetPath)?.remoteWatcherNodes.delete(fromNodeId);
  }

  onRemoteTerminated(nodeId: string, targetPath: string, reason: TerminatedReason): void {
    const byPath = this.remote.get(nodeId);
    const watchers = byPath?.get(targetPath);
    if (!byPath || !watchers) return;
    byPath.delete(targetPath);
    const ref = this.deps.ref(nodeId, targetPath);
    for (const watcher of watchers) {
      watcher.watchingRemote.delete(remoteKey(nodeId, targetPath));
      watcher.signal({ type: 'terminated', ref, reason });
    }
  }

  /** The connection to a node is gone: every watch on it ends now. */
  onNodeDown(nodeId: string, reason: string, localCells: Iterable<ActorCell>): void {
    for (const path of [...(this.remote.get(nodeId)?.keys() ?? [])]) {
      this.onRemoteTerminated(nodeId, path, 'node-down');
    }
    this.remote.delete(nodeId);
    for (const watcher of this.nodes.get(nodeId) ?? []) {
      watcher.watchingNodes.delete(nodeId);
      watcher.signal({ type: 'node-down', nodeId, reason });
    }
    this.nodes.delete(nodeId);
    for (const cell of localCells) cell.remoteWatcherNodes.delete(nodeId);
  }

  private watchLocal(watcher: ActorCell, target: ActorRef): void {
    const cell = this.deps.cell(target.path);
    if (!cell || cell.isStopped) {
      watcher.signal({ type: 'terminated', ref: target, reason: 'not-found' });
      return;
    }
    cell.watchers.add(watcher);
    watcher.watching.add(cell);
  }

  private release(cell: ActorCell): void {
    for (const target of cell.watching) target.watchers.delete(cell);
    cell.watching.clear();
    for (const key of [...cell.watchingRemote]) {
      const [nodeId = '', path = ''] = key.split('\u0000');
      this.unwatch(cell, this.deps.ref(nodeId, path));
    }
    for (const nodeId of cell.watchingNodes) this.nodes.get(nodeId)?.delete(cell);
    cell.watchingNodes.clear();
  }

  private trySend(nodeId: string, envelope: Envelope): void {
    try {
      this.deps.send(nodeId, envelope);
    } catch (error) {
      this.deps.logger.debug({ peer: nodeId, err: error }, 'watch notice not sent');
    }
  }
}
