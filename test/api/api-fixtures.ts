// Shared pieces of the server API tests: gateways with API keys (memory or
// NATS broker), raw HTTP calls that keep status and body, JWTs for users.
import { SignJWT } from 'jose';
import type { Broker } from '../../src/broker/broker.js';
import type { GatewayConfig } from '../../src/config/gateway-options.js';
import { startTestGateway, type GatewayHarness } from '../helpers/gateway-harness.js';
import { natsBroker, uniqueStream, type NatsScene } from '../nats/nats-test-kit.js';

export const API_KEY = 'test-api-key-0123456789';
export const OTHER_KEY = 'other-api-key-9876543210';
export const JWT_SECRET = 'api-test-secret-with-enough-length-0123456789';

export function apiGateway(overrides: Partial<GatewayConfig> = {}, broker?: Broker): Promise<GatewayHarness> {
  return startTestGateway({ apiKeys: [API_KEY, OTHER_KEY], jwtSecret: JWT_SECRET, ...overrides }, broker);
}

/** A gateway over NATS with API keys, registered in the scene for cleanup. All gateways of one scene share `stream`. */
export async function addApiGateway(scene: NatsScene, servers: string, stream: string): Promise<GatewayHarness> {
  const broker = natsBroker(servers, { name: stream });
  scene.brokers.push(broker);
  const gateway = await apiGateway({}, broker);
  scene.gateways.push(gateway);
  return gateway;
}

export { uniqueStream };

export interface Answer {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One API call with fetch; `key: null` sends no Authorization header. */
export async function api(base: string, method: string, path: string, body?: unknown, options: { key?: string | null; contentType?: string; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? API_KEY : options.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export function jwtFor(user: string): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user).setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
}

/** A WebSocket URL carrying a user's token. */
export async function userUrl(wsUrl: string, user: string): Promise<string> {
  return `${wsUrl}?token=${await jwtFor(user)}`;
}
