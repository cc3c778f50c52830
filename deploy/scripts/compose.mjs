#!/usr/bin/env node
// Runs Docker Compose, v2 or v1, whichever this machine has: `docker compose`
// (the v2 plugin) when `docker compose version` answers, else `docker-compose`
// (v1, or v2's standalone binary). DOCKER_COMPOSE="docker-compose" (or any
// command) forces one. Behind npm run docker:up|docker:down|docker:logs.
//   node deploy/scripts/compose.mjs up -d --build
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Whether `command args...` runs and exits 0 (quietly). */
function succeeds(command, args, env) {
  const r = spawnSync(command, args, { stdio: 'ignore', env });
  return !r.error && r.status === 0;
}

/**
 * The Compose command as [program, ...leading args], or undefined when there
 * is none. `probe(command, args)` says whether a command runs (injected by the tests).
 */
export function pickCompose(env = process.env, probe = (command, args) => succeeds(command, args, env)) {
  if (env.DOCKER_COMPOSE) return env.DOCKER_COMPOSE.trim().split(/\s+/);
  if (probe('docker', ['compose', 'version'])) return ['docker', 'compose'];
  if (probe('docker-compose', ['version'])) return ['docker-compose'];
  return undefined;
}

export const NO_COMPOSE =
  'odin: Docker Compose was not found: neither `docker compose` (v2) nor `docker-compose` (v1) runs here.\n' +
  'Install Docker with its Compose plugin (https://docs.docker.com/compose/install/), or set DOCKER_COMPOSE to the command to use.\n';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const compose = pickCompose();
  if (!compose) {
    process.stderr.write(NO_COMPOSE);
    process.exit(127);
  }
  const [program, ...lead] = compose;
  const r = spawnSync(program, [...lead, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.error) {
    process.stderr.write(`odin: could not run ${compose.join(' ')}: ${r.error.message}\n`);
    process.exit(127);
  }
  process.exit(r.status ?? 1);
}
