// The WebSocket class ws builds for every client. ws lets us pick it: the
// connection and the gateway ride on the socket, so its listeners are module
// functions, not closures kept alive per connection.
import { WebSocket, type RawData } from 'ws';
import type { ClientConnection } from './client-connection.js';
import { routeClientFrame, type FrameRouterContext } from './client-frame-router.js';
import { releaseInflater } from './ws-socket-adapter.js';

/** What a client socket's events go to. */
export interface ClientSocketHost {
  readonly frameRouter: FrameRouterContext;
  handleClosed(conn: ClientConnection, code: number): void;
  handleSocketError(conn: ClientConnection, err: Error & { code?: string }): void;
}

export class ClientSocket extends WebSocket {
  conn!: ClientConnection;
  host!: ClientSocketHost;
}

/** Ties `conn` to its socket: frames, pongs, the close and socket errors reach `host`. */
export function attachClientSocket(socket: WebSocket, conn: ClientConnection, host: ClientSocketHost): void {
  const ws = socket as ClientSocket;
  ws.conn = conn;
  ws.host = host;
  ws.on('message', onSocketMessage);
  ws.on('pong', onSocketPong);
  ws.on('close', onSocketClose);
  ws.on('error', onSocketError);
}

function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const socket = this as ClientSocket;
  socket.conn.markAlive();
  routeClientFrame(socket.host.frameRouter, socket.conn, data, isBinary);
  releaseInflater(this);
}
function onSocketPong(this: WebSocket): void {
  (this as ClientSocket).conn.markAlive();
}
function onSocketClose(this: WebSocket, code: number): void {
  const socket = this as ClientSocket;
  socket.host.handleClosed(socket.conn, code);
}
function onSocketError(this: WebSocket, err: Error & { code?: string }): void {
  const socket = this as ClientSocket;
  socket.host.handleSocketError(socket.conn, err);
}
