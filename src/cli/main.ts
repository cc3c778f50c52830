#!/usr/bin/env node
// `odin <command> [options]`: one CLI for every part of Odin.
import { ConfigError } from '../config/option-parser.js';

type Command = { summary: string; load: () => Promise<{ run(argv: string[]): Promise<void> }> };

const COMMANDS: Record<string, Command> = {
  dev: { summary: 'gateway + memory broker + market simulator in one process (npm start)', load: () => import('./commands/dev.js') },
  gateway: { summary: 'the WebSocket gateway (memory broker, or NATS with --nats)', load: () => import('./commands/gateway.js') },
  publisher: { summary: 'market simulator with its control API on 3003 (NATS with --nats)', load: () => import('./commands/publisher.js') },
  stream: { summary: 'the NATS stream\'s configuration: apply (create or update its limits) or check', load: () => import('./commands/stream.js') },
  publish: { summary: 'publish through a gateway\'s server API (CHANNEL JSON, or --file NDJSON)', load: () => import('./commands/publish.js') },
  load: { summary: 'load presets (light/medium/heavy/custom) and the realistic trading simulation', load: () => import('./commands/load.js') },
  bench: { summary: 'benchmark Odin against nats-server WebSocket, a plain ws loop and socket.io', load: () => import('./commands/bench.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: odin <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'odin <command> --help' lists a command's options.\n`;
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`odin: unknown command ${JSON.stringify(name)}\n\n${usage()}`);
    process.exit(2);
  }
  const module = await command.load();
  await module.run(rest);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`odin: invalid configuration: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`odin: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
