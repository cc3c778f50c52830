// `auth`: a live connection replaces its token without reconnecting. The new
// token must verify and name the same `sub`; it brings a new expiry and new
// grants, and subscriptions the new grants no longer allow are dropped.
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { mayReadWith } from '@odin-gateway/client/channels';
import { ErrorCode } from '@odin-gateway/client/codes';
import type { AuthRequest } from '@odin-gateway/client/protocol';
import type { ClientConnection } from './client-connection.js';
import { TOKEN_REASON_TEXT, type TokenVerifier } from './client-identity.js';
import type { ExpirySchedule } from './expiry-schedule.js';
import { handleUnsubscribe, type SubscribeContext } from './subscribe-handler.js';

export interface AuthContext {
  verifier: TokenVerifier;
  expiry: ExpirySchedule;
  clockToleranceMs: number;
  metrics: GatewayMetrics;
  logger: Logger;
  subscribe: SubscribeContext;
}

/** The moment a token of expiry `expiresAt` (ms, 0 = never) stops a connection. */
export function closeAtOf(expiresAt: number, clockToleranceMs: number): number {
  return expiresAt === 0 ? 0 : expiresAt + clockToleranceMs;
}

/** The `exp` clients see in `welcome` and `authenticated`: Unix seconds or null. */
export function expOf(closeAt: number, clockToleranceMs: number): number | null {
  return closeAt === 0 ? null : Math.round((closeAt - clockToleranceMs) / 1000);
}

/** Closes a connection whose token ran out (called by the schedule and before any frame is handled). */
export function expireConnection(ctx: Pick<AuthContext, 'expiry'>, conn: ClientConnection): void {
  ctx.expiry.remove(conn);
  conn.expire();
}

export async function handleAuth(ctx: AuthContext, conn: ClientConnection, request: AuthRequest): Promise<void> {
  const verified = await ctx.verifier.verify(request.token);
  if (!conn.isOpen) return;
  if (!verified.ok || verified.user !== conn.user) {
    ctx.metrics.tokenRefreshes.inc({ result: verified.ok ? 'other_user' : 'invalid' });
    ctx.logger.info({ event: 'token_refresh_refused', session: conn.id, user: conn.user, reason: verified.ok ? 'sub differs' : verified.reason, ...(verified.ok ? {} : { detail: verified.detail }) }, 'token refresh refused');
    if (verified.ok) {
      conn.sendError(ErrorCode.TOKEN_SUBJECT_MISMATCH, `the token is for another user; a connection keeps its user (${conn.user === null ? 'anonymous' : conn.user}): reconnect to change it`, request.id);
    } else {
      conn.sendError(ErrorCode.INVALID_TOKEN, `${verified.reason}: ${TOKEN_REASON_TEXT[verified.reason]}; the current token stays in force until it expires`, request.id, undefined, verified.reason);
    }
    return;
  }
  conn.setCredentials(verified.grants, closeAtOf(verified.expiresAt, ctx.clockToleranceMs));
  ctx.expiry.set(conn);
  ctx.metrics.tokenRefreshes.inc({ result: 'accepted' });
  const revoked = conn
    .subscriptionList()
    .map((s) => s.pattern)
    .filter((p) => !mayReadWith(p, conn.user, ctx.subscribe.publicChannels, conn.grants));
  if (revoked.length > 0) {
    handleUnsubscribe(ctx.subscribe, conn, { type: 'unsubscribe', channels: revoked });
    for (const channel of revoked) {
      ctx.metrics.clientErrors.inc({ code: ErrorCode.FORBIDDEN });
      conn.send({ type: 'error', code: ErrorCode.FORBIDDEN, message: 'the new token no longer grants this channel: unsubscribed', channel });
    }
  }
  conn.send({ type: 'authenticated', ...(request.id !== undefined ? { id: request.id } : {}), user: verified.user, exp: expOf(conn.closeAt, ctx.clockToleranceMs) });
}
