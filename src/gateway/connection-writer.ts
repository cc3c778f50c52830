// The connection writer: the one place that writes to a client's socket. It
// holds the socket privately: frames, control answers, pings and the close
// all go through it.
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
import type { ClientTransport } from './client-transport.js';

/**
 * One pass of the hub's flush. A connection that gets more than one frame in
 * a pass (several channels, or channels and patterns) is corked after the
 * first, and uncorked at the end of the pass: the rest leave in one writev.
 */
/** Small frames of one pass are gathered into writes of at most this many bytes. */
const COALESCE_BYTES = 16 * 1024;

export class FlushPass {
  private static counter = 0;
  readonly id = ++FlushPass.counter;
  readonly corked: ConnectionWriter[] = [];

  end(): void {
    for (const writer of this.corked) writer.uncork();
    this.corked.length = 0;
  }
}

export class ConnectionWriter {
  /** Bytes of live messages held by subscriptions still being set up (reserve/release). */
  private heldBytes = 0;
  /** The flush pass that last wrote here, and whether the socket is corked for it. */
  private passId = 0;
  private listedIn = 0;
  private corked = false;
  private corkedBytes = 0;

  constructor(
    /** The WebSocket, or an SSE stream's transport (sse/sse-transport.ts). */
    private readonly ws: ClientTransport,
    /** The socket under it: shared frames are written here directly. */
    private readonly socket: Socket,
    readonly budgetBytes: number,
  ) {}

  /** Bytes the server holds for this client: unsent socket bytes plus held messages. */
  get queuedBytes(): number {
    return this.socket.writableLength + this.heldBytes;
  }

  get overBudget(): boolean {
    return this.queuedBytes > this.budgetBytes;
  }

  /** Counts `bytes` of held messages against the budget; false when the budget is now passed. */
  reserve(bytes: number): boolean {
    this.heldBytes += bytes;
    return !this.overBudget;
  }

  /** Returns `bytes` reserved earlier. */
  release(bytes: number): void {
    this.heldBytes -= bytes;
  }

  /** The keepalive probe: a WebSocket ping (an SSE comment). */
  ping(): void {
    this.ws.ping();
  }

  /** Starts the closing handshake. */
  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Drops the socket without a closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  /**
   * Writes a ready-made frame; false when the budget was already passed (the
   * caller closes the client as slow). Checking before the write lets one
   * large batch through to a client that keeps up.
   */
  writeFrame(frame: Buffer, pass?: FlushPass): boolean {
    if (this.overBudget) return false;
    if (pass) this.coalesce(pass, frame.length);
    this.socket.write(frame);
    return true;
  }

  /**
   * The first frame of a pass goes out at once (most connections get only
   * one, and pay nothing more). Later small frames are corked together, up
   * to COALESCE_BYTES at a time, and leave in one writev. Corked bytes count
   * against the budget like any other: the cap keeps a healthy client from
   * looking slow, and a stalled one still holds at most the budget plus one frame.
   */
  private coalesce(pass: FlushPass, length: number): void {
    if (this.passId !== pass.id) {
      this.passId = pass.id;
      return;
    }
    if (this.corked && this.corkedBytes + length > COALESCE_BYTES) this.uncork();
    if (!this.corked) {
      if (length >= COALESCE_BYTES) return;
      this.corked = true;
      this.socket.cork();
      if (this.listedIn !== pass.id) {
        this.listedIn = pass.id;
        pass.corked.push(this);
      }
    }
    this.corkedBytes += length;
  }

  /** @internal ends a flush pass */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.corkedBytes = 0;
    this.socket.uncork();
  }

  /** Sends one control message (JSON text) in a frame of its own, never compressed (ws sends it at once). */
  sendText(text: string): void {
    this.ws.send(text, { compress: false });
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
