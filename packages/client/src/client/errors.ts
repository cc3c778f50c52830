// Errors the SDK reports, each with a stable `code`.
import type { TokenReason } from '../protocol/codes.js';

export class OdinClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'OdinClientError';
  }
}

/**
 * The server refused the token (close 4003) and no token function was given to
 * fetch a new one. `reason` says why (`TOKEN_EXPIRED`, `TOKEN_INVALID_SIGNATURE`,
 * ..., docs/protocol.md "Token reasons"), when the server gave one.
 */
export class UnauthorizedError extends OdinClientError {
  constructor(
    message: string,
    readonly reason?: TokenReason,
  ) {
    super('UNAUTHORIZED', reason !== undefined ? `${reason}: ${message}` : message);
    this.name = 'UnauthorizedError';
  }
}

/** An error answer from the server (`{type:"error", code, message}`); `reason` comes with `INVALID_TOKEN`: why the token was refused. */
export class ServerError extends OdinClientError {
  constructor(
    code: string,
    message: string,
    readonly channel?: string,
    readonly reason?: TokenReason,
  ) {
    super(code, channel ? `${code} on ${channel}: ${message}` : `${code}: ${message}`);
    this.name = 'ServerError';
  }
}

/** No WebSocket implementation: Node 20 has none built in; pass `WebSocket` from 'ws'. */
export class NoWebSocketError extends OdinClientError {
  constructor() {
    super('NO_WEBSOCKET', "no global WebSocket: pass one in the options, e.g. new OdinClient({ url, WebSocket }) with WebSocket from 'ws'");
    this.name = 'NoWebSocketError';
  }
}

/** The client was closed by the app. */
export class ClientClosedError extends OdinClientError {
  constructor() {
    super('CLIENT_CLOSED', 'the client was closed');
    this.name = 'ClientClosedError';
  }
}

/** A message handler of the app threw; the client carries on. */
export class HandlerError extends OdinClientError {
  constructor(
    readonly channel: string,
    override readonly cause: unknown,
  ) {
    super('HANDLER_ERROR', `a handler for ${channel} threw: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'HandlerError';
  }
}
