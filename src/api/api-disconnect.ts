// POST /api/disconnect: closes a user's connections on every gateway sharing
// the broker, with 4004 DISCONNECTED_BY_SERVER. This instance closes its own
// at once (the count in the answer); the others on the control message.
import { CloseCode } from '@odin-gateway/client/codes';
import { ApiError } from './api-errors.js';
import { ok, type ApiAnswer, type ApiContext } from './api-context.js';
import { parseDisconnectBody } from './api-validation.js';

export const DISCONNECT_TOPIC = 'disconnect';

/** The control message: `origin` lets the sender skip its own copy. */
export interface DisconnectControl {
  user: string;
  origin: string;
}

export async function disconnectEndpoint(ctx: ApiContext, body: unknown, origin: string): Promise<ApiAnswer> {
  const user = parseDisconnectBody(body);
  const closedHere = ctx.disconnectLocal(user);
  try {
    await ctx.broker.publishControl(DISCONNECT_TOPIC, { user, origin } satisfies DisconnectControl);
  } catch (err) {
    throw new ApiError('BROKER_UNAVAILABLE', `closed ${closedHere} connection(s) here, but other instances could not be told: ${String(err)}`, { closedHere });
  }
  ctx.logger.info({ event: 'api_disconnect', user, closed_here: closedHere }, 'server API: user disconnected on every instance');
  return ok({ user, closedHere, broadcast: true });
}

export function isDisconnectControl(body: unknown): body is DisconnectControl {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.user === 'string' && typeof b.origin === 'string';
}

/** Closes every open connection of `user` with 4004; returns how many. */
export function closeConnectionsOf(connections: Iterable<{ readonly user: string | null; readonly isOpen: boolean; close(code: number): void }>, user: string): number {
  let closed = 0;
  for (const conn of connections) {
    if (conn.user !== user || !conn.isOpen) continue;
    conn.close(CloseCode.DISCONNECTED_BY_SERVER);
    closed++;
  }
  return closed;
}
