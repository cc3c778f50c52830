// Runs Debian's nginx (/usr/sbin/nginx, or NGINX_BIN) as a plain child process
// in the foreground: its main config, pid file, logs and temp folders live in a
// temporary prefix, so it needs no root-only path and leaves nothing behind.
// Stopped by its own PID. Also makes a self-signed certificate with openssl.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram, stopAndRemove } from './system-program.js';

export function nginxBinary(): string {
  return findProgram('NGINX_BIN', ['/usr/sbin/nginx', '/usr/bin/nginx'], "nginx not found: run `bash .ci/install-system-deps.sh` (installs Debian's nginx)");
}

export interface Certificate {
  certPath: string;
  keyPath: string;
  /** The certificate itself, for a client's `ca`. */
  pem: Buffer;
}

/** A self-signed certificate for localhost and 127.0.0.1, valid for a day, written into `dir`. */
export function selfSignedCertificate(dir: string): Certificate {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const r = spawnSync(
    process.env.OPENSSL_BIN ?? 'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyPath, '-out', certPath],
    { encoding: 'utf8' },
  );
  if (r.error) throw new Error(`openssl could not run (${r.error.message}): run \`bash .ci/install-system-deps.sh\``);
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { certPath, keyPath, pem: readFileSync(certPath) };
}

export interface NginxServer {
  dir: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `site` is an http-context config (what goes in conf.d/); it is included from
 * a main config written here. Resolves once nginx has started its worker
 * (its own log line, a positive marker); callers then wait for what they need
 * through it.
 */
export async function startNginx(site: string): Promise<NginxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'odin-nginx-'));
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      'error_log stderr notice;',
      'events { worker_connections 1024; }',
      'http {',
      `  access_log ${join(dir, 'access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${t}_temp`)};`),
      `  include ${join(dir, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  const check = spawnSync(nginxBinary(), ['-t', '-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx -t refused the config: ${check.stderr}`);
  }
  let log = '';
  const child = spawn(nginxBinary(), ['-p', dir, '-e', 'stderr', '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started = new Promise<void>((resolve, reject) => {
    // A cap on a readiness wait, not a time bound.
    const timer = setTimeout(() => reject(new Error(`nginx did not start its worker: ${log}`)), 30_000);
    const onData = (c: Buffer): void => {
      log += c.toString();
      if (/start worker process \d+/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nginx exited (${code}): ${log}`));
    });
  });
  const stop = (): Promise<void> => stopAndRemove(child, exited, dir);
  try {
    await started;
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, child, output: () => log, stop };
}
