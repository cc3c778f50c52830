// Known reasons a process cannot start, turned into one message a user can
// act on (which flag, which variable, which command) instead of a stack
// trace. `odin` prints the message and exits 1 (docs/operations.md, exit status).

export class StartFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartFailure';
  }
}

/** A port this process listens on, with the option that sets it. */
export interface ListenerOption {
  port: number | undefined;
  host: string;
  /** e.g. `--port/PORT`. */
  option: string;
  /** The option of the address, e.g. `--host/HOST`. */
  hostOption: string;
}

/** The command that starts a NATS server with JetStream, for this URL's port. */
export function natsServerCommand(natsUrl: string | undefined): string {
  const first = (natsUrl ?? '').split(',')[0]!.trim();
  let port = 4222;
  try {
    port = Number(new URL(first.includes('://') ? first : `nats://${first}`).port) || 4222;
  } catch {
    // An unparsable URL keeps the default port in the hint; the connection error says what was wrong.
  }
  return `nats-server -js -sd ./nats-data${port === 4222 ? '' : ` -p ${port}`}`;
}

/** A listen() error (port taken, privileged port) named with its option, or undefined. */
export function listenFailure(err: unknown, listeners: readonly ListenerOption[]): StartFailure | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code !== 'EADDRINUSE' && e?.code !== 'EACCES' && e?.code !== 'EADDRNOTAVAIL') return undefined;
  const listener = listeners.find((l) => l.port !== undefined && l.port !== 0 && l.port === e.port) ?? listeners.find((l) => l.port !== undefined && l.host === e.address);
  const where = e.port ? `${e.address ?? listener?.host ?? ''}:${e.port}` : (e.address ?? listener?.host ?? '?');
  const option = listener?.option ?? 'the port option';
  if (e.code === 'EADDRINUSE') {
    return new StartFailure(`port ${e.port} is already in use (${where}): another process listens there. Choose another port with ${option} (0 = any free port), or stop the other process (\`ss -ltnp 'sport = :${e.port}'\` shows which).`);
  }
  if (e.code === 'EACCES') {
    return new StartFailure(`not allowed to listen on ${where}: ports below 1024 need privileges. Choose a port of 1024 or more with ${option}, and put a proxy in front (deploy/nginx/).`);
  }
  return new StartFailure(`cannot listen on ${where}: the address is not one of this machine's. Fix ${listener?.hostOption ?? 'the host option'} (0.0.0.0 = every address, 127.0.0.1 = this machine only).`);
}

/** A NATS start error (unreachable, JetStream off, credentials refused), or undefined. */
export function natsFailure(err: unknown, natsUrl: string | undefined): StartFailure | undefined {
  if (natsUrl === undefined) return undefined;
  const text = errorText(err);
  const command = natsServerCommand(natsUrl);
  if (/jetstream is not enabled|JetStreamNotEnabled|10039/i.test(text)) {
    return new StartFailure(`the NATS server at ${natsUrl} runs without JetStream, which Odin needs for history and resume. Start it with JetStream: \`${command}\` (-js enables JetStream, -sd is the directory it stores in), or add \`jetstream: {store_dir: "/var/lib/nats"}\` to its configuration file; in Docker, \`npm run docker:up\` does it.`);
  }
  if (/authorization violation|authentication|permissions violation|user authentication expired/i.test(text)) {
    return new StartFailure(`the NATS server at ${natsUrl} refused this process's credentials (${firstLine(text)}). Check --nats-user/NATS_USER with NATS_PASSWORD(_FILE), NATS_TOKEN, NATS_NKEY_SEED_FILE or NATS_CREDS_FILE (docs/identity.md, NATS credentials).`);
  }
  if (/cannot connect to NATS|ECONNREFUSED|connection refused|ENOTFOUND|EAI_AGAIN|timeout|TimeoutError|ConnectionError/i.test(text)) {
    return new StartFailure(`cannot reach NATS at ${natsUrl} (${firstLine(text).replace(/^.*cannot connect to NATS at \S+: /, '')}). Is nats-server running there? Start one with JetStream: \`${command}\`, or \`npm run docker:up\`; or fix --nats/NATS_URL. Without --nats, \`npx odin dev\` runs everything in one process.`);
  }
  return undefined;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return `${err.name}: ${err.message}${cause !== undefined ? ` ${errorText(cause)}` : ''}`;
  }
  return String(err);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!;
}
