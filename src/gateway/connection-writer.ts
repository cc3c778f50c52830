// The connection writer: the one place that writes to a client's socket.
// Shared batch frames (the same bytes for every subscriber) go straight to
// the net.Socket; control answers go through ws.send, which frames and writes
// synchronously (no permessage-deflate), so the two never interleave inside a
// frame and keep their order.
//
// One byte budget per connection covers what the server holds for it: bytes
// Node has not yet handed to the kernel (socket.writableLength) plus live
// messages held while a subscription is being set up (`heldBytes`). Over the
// budget the client is slow: it is closed with 4000 and resumes from its last
// position. The kernel's own send buffer (tens of KiB to a few MiB with TCP
// autotuning) is not counted: Node cannot see it. Replay does not spend the
// budget blindly: it waits for the socket to drain (`drained`).
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { socketOf } from './ws-socket-adapter.js';

export class ConnectionWriter {
  private readonly socket: Socket;
  /** Bytes of live messages held by subscriptions still being set up. */
  heldBytes = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly budgetBytes: number,
  ) {
    this.socket = socketOf(ws);
  }

  /** Bytes the server holds for this client: unsent socket bytes plus held messages. */
  get queuedBytes(): number {
    return this.socket.writableLength + this.heldBytes;
  }

  get overBudget(): boolean {
    return this.queuedBytes > this.budgetBytes;
  }

  /**
   * Writes a ready-made frame; false when the budget was already passed (the
   * caller closes the client as slow). Checking before the write lets one
   * large batch through to a client that keeps up.
   */
  writeFrame(frame: Buffer): boolean {
    if (this.overBudget) return false;
    this.socket.write(frame);
    return true;
  }

  /** Sends one control message (JSON text) in a frame of its own. */
  sendText(text: string): void {
    this.ws.send(text);
  }

  /** Resolves once unsent bytes are at most `lowWater`, or with false when the socket closes first. */
  drained(lowWater: number): Promise<boolean> {
    const socket = this.socket;
    if (socket.writableLength <= lowWater) return Promise.resolve(!socket.destroyed);
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        socket.off('drain', onDrain);
        socket.off('close', onClose);
        resolve(ok);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      socket.on('drain', onDrain);
      socket.on('close', onClose);
    });
  }
}
