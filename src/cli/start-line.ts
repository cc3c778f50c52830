// The one start line of `odin dev`, `odin gateway` and `odin publisher`: what
// runs where, read from the bound listeners and the configuration (never a
// password: credentials in a NATS URL are left out). Logged as one record
// whose message is the sentence and whose fields are the same facts.
import type { GatewayConfig } from '../config/gateway-options.js';
import type { OdinGateway } from '../gateway/gateway-server.js';
import { odinVersion } from './version.js';

export interface StartFacts {
  /** The sentence, without the leading `odin COMMAND VERSION`. */
  text: string;
  /** The same facts as log fields. */
  fields: Record<string, unknown>;
}

/** `host:port`, bracketing an IPv6 address. */
export function hostPort(host: string, port: number | undefined): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** A NATS URL list without user:password@ (a password in the log would be a leak). */
export function withoutCredentials(urls: string): string {
  return urls.replace(/\/\/[^/@,]*@/g, '//');
}

/** The broker a process reads or writes: NATS (URL and stream) or the embedded memory broker. */
export function brokerFacts(settings: { natsUrl?: string | undefined; natsStream: string }): StartFacts {
  if (settings.natsUrl === undefined) return { text: 'memory broker (nothing kept across restarts)', fields: { broker: 'memory' } };
  const url = withoutCredentials(settings.natsUrl);
  return { text: `broker ${url} stream ${settings.natsStream}`, fields: { broker: url, stream: settings.natsStream } };
}

/** The gateway's listeners and connection limit, as bound. */
export function gatewayFacts(config: GatewayConfig, gateway: OdinGateway): StartFacts {
  const ws = `ws://${hostPort(config.host, gateway.port)}/ws`;
  const metricsPort = gateway.metricsPort;
  const metrics = metricsPort === undefined ? 'on the public port' : `http://${hostPort(config.metricsHost, metricsPort)}/metrics`;
  const apiPort = gateway.api.port;
  const api = config.apiKeys.length === 0 ? 'off' : apiPort === undefined ? 'on the public port' : `http://${hostPort(config.apiHost, apiPort)}/api/`;
  const limit = gateway.connectionLimit;
  return {
    text: `listening ${ws} (metrics ${metrics}, server API ${api}), up to ${limit.max.toLocaleString('en-US')} connections (${limit.limitedBy})`,
    fields: { ws, metrics, api, max_connections: limit.max, limited_by: limit.limitedBy },
  };
}

/** `odin COMMAND VERSION` then each part, comma-separated; fields merged, with command and version. */
export function startLine(command: string, ...parts: StartFacts[]): { msg: string; fields: Record<string, unknown> } {
  const version = odinVersion();
  const fields: Record<string, unknown> = { event: 'odin_started', command, version };
  for (const part of parts) Object.assign(fields, part.fields);
  return { msg: `odin ${command} ${version} ${parts.map((p) => p.text).join(', ')}`, fields };
}

/** Where a simulator publishes and how it is driven: its control API (when it has one) and whether it publishes yet. */
export function simulatorFacts(options: { controlUrl: string | undefined; publishing: boolean; rate: number }): StartFacts {
  const state = options.publishing ? `simulator publishing ${options.rate} prices/s` : 'simulator waiting for POST /control {"action":"start"}';
  const control = options.controlUrl === undefined ? 'control API off' : `control API ${options.controlUrl}`;
  return { text: `${state}, ${control}`, fields: { publishing: options.publishing, rate: options.rate, control: options.controlUrl ?? null } };
}
