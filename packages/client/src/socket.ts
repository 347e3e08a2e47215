// The WebSocket the SDK speaks through: the platform's (browsers, Deno, Node.js 22+) or, in
// Node.js 20, the `ws` package, loaded only when no global WebSocket exists so that browser
// bundles never include it. Both have the same shape for what is used here.

export interface SocketEvent {
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
}

/** The part of the WHATWG WebSocket the client uses. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: SocketEvent) => void) | null;
  onmessage: ((event: SocketEvent) => void) | null;
  onclose: ((event: SocketEvent) => void) | null;
  onerror: ((event: SocketEvent) => void) | null;
}

export type WebSocketConstructor = new (url: string) => SocketLike;

export const socketOpen = 1;

let resolved: Promise<WebSocketConstructor> | undefined;

/** The platform's WebSocket, else `ws` (Node.js 20). */
export function defaultWebSocket(): Promise<WebSocketConstructor> {
  const platform = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (platform !== undefined) return Promise.resolve(platform);
  resolved ??= import('ws').then(
    (module) => (module.default ?? module.WebSocket) as unknown as WebSocketConstructor,
  );
  return resolved;
}

/** The bytes of a binary message, as the platform delivered them. */
export function messageBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return data;
  if (Array.isArray(data) && data.every((part) => part instanceof Uint8Array)) {
    const total = data.reduce((sum: number, part: Uint8Array) => sum + part.byteLength, 0);
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const part of data as Uint8Array[]) {
      joined.set(part, offset);
      offset += part.byteLength;
    }
    return joined;
  }
  return null;
}
