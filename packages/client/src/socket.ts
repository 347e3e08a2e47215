// The WebSocket the SDK speaks through: the platform's (browsers, Deno, Node.js 22+) or, in
// Node.js 20, the `ws` package, loaded only when no global WebSocket exists so that browser
// bundles never include it. Both have the same shape for what is used here.

export interface SocketEvent {
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
  /** On an error event from `ws` (Node.js): what failed, a TLS verification error say. */
  readonly message?: string;
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

/** PEM text (a string or its bytes). */
export type PemData = string | Uint8Array;

/**
 * TLS for `wss://` balancers from Node.js: the CA to trust beyond the system's roots, and a
 * client certificate for balancers that demand one (--client-tls-ca). Browsers cannot take
 * either: they trust the platform's store and ask the user for client certificates.
 */
export interface ClientTlsOptions {
  readonly ca?: PemData | readonly PemData[];
  readonly cert?: PemData;
  readonly key?: PemData;
}

let wsPackage: Promise<new (url: string, options: object) => SocketLike> | undefined;

/** `ws` bound to TLS options: the platform's WebSocket (browsers, Node.js 22) takes none. */
export function tlsWebSocket(tls: ClientTlsOptions): Promise<WebSocketConstructor> {
  wsPackage ??= import('ws').then(
    (module) =>
      (module.default ?? module.WebSocket) as unknown as new (
        url: string,
        options: object,
      ) => SocketLike,
  );
  return wsPackage.then((WebSocketWithOptions) => {
    // Verification stays on: a certificate the CA did not sign fails the connection.
    const options = { ...tls, rejectUnauthorized: true };
    return class TlsWebSocket extends WebSocketWithOptions {
      constructor(url: string) {
        super(url, options);
      }
    } as unknown as WebSocketConstructor;
  });
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
