// Hostile clients for `odin load attack`: each keeps its pressure up for the
// whole run (a socket the server closes is replaced) and counts what the
// gateway did to it. They run beside well-behaved clients, whose latency and
// continuity are what the attack is judged by (docs/security.md).
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import type { AttackKind } from '../config/load-options.js';

export const ATTACK_DESCRIPTIONS: Record<AttackKind, string> = {
  'idle-sockets': 'TCP sockets that never send a byte (reopened when closed): handshake deadline, pending cap, open-file budget',
  'slow-handshake': 'upgrade requests that drip one header line every 500 ms and never finish: handshake deadline',
  'metrics-flood': 'GET /metrics as fast as each attacker gets answers: the metrics cache',
  'upgrade-flood': 'WebSocket upgrades opened and closed at once, without pause: admission and capacity',
};

export interface AttackSummary {
  kind: AttackKind;
  attackers: number;
  /** Sockets or requests the attack started. */
  attempts: number;
  /** Per outcome: closed_by_server, http_200, http_503, opened, error:ECONNRESET, ... */
  outcomes: Record<string, number>;
  perSec: number;
}

export interface Attack {
  stop(): Promise<AttackSummary>;
}

export interface AttackOptions {
  kind: AttackKind;
  /** The gateway's WebSocket URL; HTTP attacks derive their address from it. */
  url: string;
  attackers: number;
}

const DRIP_MS = 500;

export function startAttack(options: AttackOptions): Attack {
  const target = new URL(options.url);
  const host = target.hostname;
  const port = Number(target.port || (target.protocol === 'wss:' ? 443 : 80));
  const outcomes: Record<string, number> = {};
  const count = (outcome: string): void => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  let attempts = 0;
  let running = true;
  const started = performance.now();
  const open = new Set<Socket | WebSocket>();
  const timers = new Set<NodeJS.Timeout>();

  /** Runs `once` again and again in each of the attackers' loops until stopped. */
  const loops = (once: () => Promise<void>): Promise<void>[] =>
    Array.from({ length: options.attackers }, async () => {
      while (running) {
        attempts++;
        await once().catch((err: NodeJS.ErrnoException) => count(`error:${err.code ?? err.message}`));
        // A refused connect fails at once: do not spin on it.
        if (running && outcomes['error:ECONNREFUSED']) await new Promise((r) => setTimeout(r, 10));
      }
    });

  const rawSocket = (onConnect: (s: Socket) => void): Promise<void> =>
    new Promise((resolve) => {
      const s = connect(port, host);
      open.add(s);
      s.on('error', (err: NodeJS.ErrnoException) => count(`error:${err.code ?? 'socket'}`));
      s.once('connect', () => onConnect(s));
      s.once('close', () => {
        open.delete(s);
        if (running) count('closed_by_server');
        resolve();
      });
    });

  let done: Promise<void>[];
  switch (options.kind) {
    case 'idle-sockets':
      done = loops(() => rawSocket(() => undefined));
      break;
    case 'slow-handshake':
      done = loops(() =>
        rawSocket((s) => {
          s.write(`GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`);
          const drip = setInterval(() => {
            if (!s.destroyed) s.write(`X-Slow-${Date.now()}: 1\r\n`);
          }, DRIP_MS);
          timers.add(drip);
          s.once('close', () => {
            clearInterval(drip);
            timers.delete(drip);
          });
        }),
      );
      break;
    case 'metrics-flood':
      done = loops(
        () =>
          new Promise<void>((resolve, reject) => {
            const req = request({ host, port, path: '/metrics', agent: false }, (res) => {
              count(`http_${res.statusCode}`);
              res.resume();
              res.on('end', resolve);
              res.on('error', reject);
            });
            req.on('error', reject);
            req.end();
          }),
      );
      break;
    case 'upgrade-flood':
      done = loops(
        () =>
          new Promise<void>((resolve) => {
            const ws = new WebSocket(options.url, { perMessageDeflate: false });
            open.add(ws);
            ws.on('open', () => {
              count('opened');
              ws.close();
            });
            ws.on('unexpected-response', (_req, res) => {
              count(`http_${res.statusCode}`);
              ws.terminate();
            });
            ws.on('error', (err: NodeJS.ErrnoException) => count(`error:${err.code ?? 'ws'}`));
            ws.on('close', () => {
              open.delete(ws);
              resolve();
            });
          }),
      );
      break;
  }

  return {
    async stop() {
      running = false;
      for (const t of timers) clearInterval(t);
      for (const s of open) {
        if (s instanceof WebSocket) s.terminate();
        else s.destroy();
      }
      await Promise.race([Promise.all(done), new Promise((r) => setTimeout(r, 3000))]);
      const seconds = (performance.now() - started) / 1000;
      return { kind: options.kind, attackers: options.attackers, attempts, outcomes, perSec: Math.round(attempts / seconds) };
    },
  };
}
