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

/**
 * Below this many connections, an open-file limit that caps the memory
 * budget's default is warned about at start (ulimit -n 1024 gives 780):
 * above it, the limit is taken as the operator's sizing.
 */
export const FEW_CONNECTIONS = 1000;

/** The open-file limit (`ulimit -n`) that lets `connections` WebSocket connections in, without private listeners. */
export function filesFor(connections: number): number {
  return Math.ceil(connections / FD_CONNECTION_SHARE) + FD_RESERVE;
}

/** Share of the descriptors after the reserve each private listener (--api-port, --metrics-port) may hold, within [ADMIN_SOCKETS_MIN, ADMIN_SOCKETS_MAX]. */
export const ADMIN_SOCKET_SHARE = 0.05;
export const ADMIN_SOCKETS_MIN = 4;
export const ADMIN_SOCKETS_MAX = 64;

export interface FileBudget {
  /** The open-file limit, undefined when unlimited or unknown. */
  openFiles: number | undefined;
  /** Sockets each private listener may hold open; taken out of the public listener's share. Infinity when unknown. */
  adminSockets?: number;
  /** Sockets of every kind the server may hold open (Node's server.maxConnections); Infinity when unknown. */
  maxSockets: number;
  /** WebSocket connections the descriptors allow; Infinity when unknown. */
  maxConnections: number;
}

/**
 * `adminListeners`: how many private listeners run beside the public one.
 * Each gets a small share of its own, so idle sockets on a metrics or API
 * port can never take the descriptors public clients need (and the reverse).
 */
export function fileBudget(openFiles: number | undefined, adminListeners = 0): FileBudget {
  if (openFiles === undefined) return { openFiles, maxSockets: Infinity, maxConnections: Infinity, ...(adminListeners > 0 ? { adminSockets: Infinity } : {}) };
  const available = Math.max(2, openFiles - FD_RESERVE);
  if (adminListeners === 0) return { openFiles, maxSockets: available, maxConnections: Math.max(1, Math.floor(available * FD_CONNECTION_SHARE)) };
  const adminSockets = Math.min(ADMIN_SOCKETS_MAX, Math.max(ADMIN_SOCKETS_MIN, Math.floor(available * ADMIN_SOCKET_SHARE)));
  const maxSockets = Math.max(2, available - adminListeners * adminSockets);
  return { openFiles, maxSockets, maxConnections: Math.max(1, Math.floor(maxSockets * FD_CONNECTION_SHARE)), adminSockets };
}

/** The budget a private listener's guard applies: its own share as its socket cap. */
export function adminListenerBudget(files: FileBudget): FileBudget {
  const sockets = files.adminSockets ?? Infinity;
  return { openFiles: files.openFiles, maxSockets: sockets, maxConnections: 0 };
}
