#!/usr/bin/env node
// `odin <command> [options]` (`npx odin ...` from the repository): one CLI for
// every part of Odin. Help is answered here for every command (`-h`, `--help`,
// `odin help <command>`), so each command only describes itself.
import { ConfigError } from '../config/option-parser.js';
import { StartFailure } from './start-failure.js';
import { odinVersion } from './version.js';

interface CommandModule {
  run(argv: string[]): Promise<void>;
  /** The command's help; `argv` picks a sub-command's (`odin load api-publish --help`). */
  help(argv: string[]): string;
}

type Command = { summary: string; load: () => Promise<CommandModule> };

const COMMANDS: Record<string, Command> = {
  dev: { summary: 'gateway + memory broker + market simulator in one process (npm start)', load: () => import('./commands/dev.js') },
  gateway: { summary: 'the WebSocket gateway (memory broker, or NATS with --nats)', load: () => import('./commands/gateway.js') },
  publisher: { summary: 'market simulator with its control API on 3003 (NATS with --nats)', load: () => import('./commands/publisher.js') },
  stream: { summary: 'the NATS stream\'s configuration: apply (create or update its limits) or check', load: () => import('./commands/stream.js') },
  publish: { summary: 'publish through a gateway\'s server API (CHANNEL JSON, or --file NDJSON)', load: () => import('./commands/publish.js') },
  load: { summary: 'load presets (light/medium/heavy/custom/attack) and the realistic trading simulation', load: () => import('./commands/load.js') },
  token: { summary: 'print a development JWT signed with the gateway\'s secret or a private key (--sub alice --ttl 1h)', load: () => import('./commands/token.js') },
  bench: { summary: 'benchmark Odin against nats-server WebSocket, a plain ws loop and socket.io', load: () => import('./commands/bench.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: odin <command> [options]
       odin help <command>      odin <command> --help      odin --version

Odin is a real-time market-data gateway: NATS (or an embedded broker) in,
WebSocket out, in order and resumable. From the repository, after
\`npm ci && npm run build\`, run it as \`npx odin <command>\`.

commands:
${lines.join('\n')}

examples:
  npx odin dev                                   # everything in one process: open http://localhost:3004/
  npx odin gateway --nats nats://127.0.0.1:4222  # the gateway on NATS/JetStream (nats-server -js)
  npx odin load light                            # 100 clients for 30 s against ws://127.0.0.1:3004/ws
  npx odin help gateway                          # every gateway option, grouped, with its variable

Exit status: 0 done, 1 failed (the reason is printed), 2 bad usage or configuration,
3 a run that measured a failure (gaps, nothing received). docs/operations.md lists them.
`;
}

const isHelp = (arg: string): boolean => arg === '--help' || arg === '-h';

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (name === undefined || isHelp(name) || (name === 'help' && rest.length === 0)) {
    process.stdout.write(usage());
    return;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`odin ${odinVersion()}\n`);
    return;
  }
  const target = name === 'help' ? rest[0]! : name;
  const command = COMMANDS[target];
  if (!command) {
    process.stderr.write(`odin: unknown command ${JSON.stringify(target)}\n\n${usage()}`);
    process.exit(2);
  }
  const module = await command.load();
  if (name === 'help') {
    process.stdout.write(module.help(rest.slice(1)));
    return;
  }
  if (rest.some(isHelp)) {
    process.stdout.write(module.help(rest.filter((a) => !isHelp(a))));
    return;
  }
  await module.run(rest);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`odin: invalid configuration: ${err.message}\n`);
    process.exit(2);
  }
  // Known start failures (port in use, NATS unreachable, no JetStream) are one actionable message, no stack.
  if (err instanceof StartFailure) {
    process.stderr.write(`odin: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`odin: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
