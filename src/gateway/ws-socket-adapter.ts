// The one place Odin reaches into ws internals. Shared batch frames are
// written straight to the net.Socket under a ws WebSocket (ws has no public
// API to write a ready-made frame), which needs `_socket`. The check runs at
// gateway start-up: a ws upgrade that renamed it fails the start, not the
// first write to a client.
import { Socket } from 'node:net';
import { WebSocket } from 'ws';

interface WsInternals {
  _socket?: unknown;
  setSocket?: (socket: Socket, head: Buffer, options: { maxPayload: number; skipUTF8Validation: boolean }) => void;
}

/** The socket under a connected server-side WebSocket. */
export function socketOf(ws: WebSocket): Socket {
  const socket = (ws as unknown as WsInternals)._socket;
  if (!(socket instanceof Socket)) throw new Error('ws internals changed: WebSocket._socket is not a net.Socket');
  return socket;
}

/**
 * Attaches an unconnected socket to a server-mode WebSocket, the way ws's
 * server does after an upgrade, and checks that `socketOf` finds it.
 * Throws when the installed ws no longer works that way.
 */
export function checkWsInternals(): void {
  const ws = new WebSocket(null as unknown as string, undefined, { autoPong: true });
  const internals = ws as unknown as WsInternals;
  if (typeof internals.setSocket !== 'function') throw new Error('ws internals changed: WebSocket.setSocket is missing');
  const socket = new Socket();
  try {
    internals.setSocket(socket, Buffer.alloc(0), { maxPayload: 0, skipUTF8Validation: false });
    if (socketOf(ws) !== socket) throw new Error('ws internals changed: WebSocket._socket is not the socket it was given');
  } finally {
    ws.on('error', () => undefined);
    socket.destroy();
  }
}

interface PerMessageDeflateInternals {
  _inflate?: { close(): void } | null;
}

/**
 * Frees the inflate context ws keeps after a compressed client message. With
 * client_no_context_takeover ws only resets it, so every client that ever
 * sent one compressed frame (browsers compress everything once
 * permessage-deflate is agreed) would hold it for the rest of its life:
 * measured by `odin bench --scenarios idle`, 23.4 KiB per idle connection
 * with it against 8.1 KiB without (plain: 6.9). Client messages are rare
 * (subscribe, heartbeat), so a fresh context per compressed message costs
 * little (~20 us). Called between messages: ws never has a
 * decompression under way then. Without the internals (a ws upgrade renamed
 * them) nothing is freed, which costs memory, not correctness; a test checks.
 */
export function releaseInflater(ws: WebSocket): void {
  const extensions = (ws as unknown as { _extensions?: Record<string, PerMessageDeflateInternals | undefined> })._extensions;
  const deflate = extensions?.['permessage-deflate'];
  if (!deflate?._inflate) return;
  deflate._inflate.close();
  deflate._inflate = null;
}
