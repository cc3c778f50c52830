// What a client connection needs from the transport under it, apart from the
// raw socket its writer writes shared frames to. A ws WebSocket satisfies it
// as it is; Server-Sent Events bring their own (sse/sse-transport.ts), so one
// connection type, one subscribe path and one byte budget serve both.
export interface ClientTransport {
  /** Sends one control message (JSON text) on its own. */
  send(text: string, options: { compress: boolean }): void;
  /** Tells the client why (close code and reason), then closes. */
  close(code: number, reason: string): void;
  /** Drops the connection at once. */
  terminate(): void;
  /** The keepalive sweep's probe (a WebSocket ping; an SSE comment). */
  ping(): void;
}
