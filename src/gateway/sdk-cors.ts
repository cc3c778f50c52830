// CORS for the SDK files (/sdk/, /protocol/): a page on another origin loads
// them with <script type="module">, which browsers fetch in CORS mode. The
// files are public code and carry no credentials; the origins are the ones
// that may open a WebSocket (--allowed-origins), so a page that may connect
// may also load the client, and with no allowlist (any origin may connect)
// any page may.
import { normaliseOrigin } from './upgrade-admission.js';

export type SdkCorsHeaders = (origin: string | undefined) => Record<string, string>;

export function sdkCorsHeaders(allowedOrigins: readonly string[]): SdkCorsHeaders {
  if (allowedOrigins.length === 0) return () => ({ 'access-control-allow-origin': '*' });
  const allowed = new Set(allowedOrigins.map(normaliseOrigin));
  return (origin): Record<string, string> => {
    if (origin === undefined || !allowed.has(normaliseOrigin(origin))) return { vary: 'Origin' };
    return { 'access-control-allow-origin': origin, vary: 'Origin' };
  };
}
