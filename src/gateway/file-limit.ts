// The open-file limit (RLIMIT_NOFILE) and what it allows. Every socket is a
// file descriptor: past the limit accept() and even reading /proc fail with
// EMFILE, so the connection limit can never be above what the descriptors
// allow. Node raises the soft limit to the hard one at start-up, so the soft
// limit read here is the one that applies.
import { readFileSync } from 'node:fs';

/** Descriptors kept for the process itself: stdio, libuv's pipes and eventfds, NATS, files read, the listeners. */
export const FD_RESERVE = 48;
/** Share of the remaining descriptors WebSocket connections may take; the rest is for handshakes and HTTP probes. */
export const FD_CONNECTION_SHARE = 0.8;

/** The soft open-file limit of this process, or undefined when unlimited or unknown (not Linux). */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const line = text.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  const n = Number(soft);
  return soft !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

export interface FileBudget {
  /** The open-file limit, undefined when unlimited or unknown. */
  openFiles: number | undefined;
  /** Sockets of every kind the server may hold open (Node's server.maxConnections); Infinity when unknown. */
  maxSockets: number;
  /** WebSocket connections the descriptors allow; Infinity when unknown. */
  maxConnections: number;
}

export function fileBudget(openFiles: number | undefined): FileBudget {
  if (openFiles === undefined) return { openFiles, maxSockets: Infinity, maxConnections: Infinity };
  const maxSockets = Math.max(2, openFiles - FD_RESERVE);
  return { openFiles, maxSockets, maxConnections: Math.max(1, Math.floor(maxSockets * FD_CONNECTION_SHARE)) };
}
