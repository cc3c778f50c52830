// `odin stream apply|check`: the explicit step that owns the NATS stream's
// configuration (src/broker/nats-stream-setup.ts). `apply` creates the stream
// or brings its limits to the given settings (what a process started with
// --stream-owner does at start); `check` only compares and exits 1 when they
// differ. Both take the gateway's stream and NATS flags and variables.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { natsAuthOptions } from '../../broker/nats-auth.js';
import { natsServers } from '../../broker/create-broker.js';
import { ensureStream, findStream, streamDifferences, type StreamSettings } from '../../broker/nats-stream-setup.js';
import { checkNatsCredentials } from '../../config/nats-credentials.js';
import { ConfigError, resolveOptions, type OptionTable } from '../../config/option-parser.js';
import { renderHelp } from '../help.js';
import { natsStreamOptionTable } from '../../config/gateway-options.js';
import { historyLimits } from '../../config/history-defaults.js';
import { createLogger } from '../../observability/logger.js';
import { warnAboutSecretFlagsOnStderr } from '../secret-flags.js';

export const streamOptionTable = {
  ...natsStreamOptionTable,
  natsUrl: { ...natsStreamOptionTable.natsUrl, description: 'NATS server URL(s), comma-separated (required)' },
} satisfies OptionTable;


export function help(): string {
  return renderHelp({
    usage: ['odin stream apply [options]', 'odin stream check [options]'],
    description: `The explicit step that owns the NATS stream's configuration. apply creates the
stream, or updates its limits to these settings (what a process started with
--stream-owner does at start); check only compares and exits 1 when they differ.
Limits not given are this version's defaults for NATS: apply without them
upgrades a stream created by an older version.`,
    sections: [{ title: 'options', table: streamOptionTable }],
    examples: [
      'npx odin stream check --nats nats://127.0.0.1:4222',
      'npx odin stream apply --nats nats://127.0.0.1:4222 --history-size 5000 --history-max-age 1800',
    ],
  });
}

export async function run(argv: string[]): Promise<void> {
  if (argv.length === 0) {
    process.stdout.write(help());
    return;
  }
  const [action, ...rest] = argv;
  if (action !== 'apply' && action !== 'check') throw new ConfigError(`odin stream: unknown action ${JSON.stringify(action)}; use apply or check`);
  const values = resolveOptions(streamOptionTable, rest);
  warnAboutSecretFlagsOnStderr(streamOptionTable, rest);
  if (values.natsUrl === undefined) throw new ConfigError('--nats/NATS_URL: odin stream needs the NATS server');
  checkNatsCredentials(values);
  // Limits not given are this version's NATS defaults: `apply` with none brings an older stream up to them.
  const limits = historyLimits(values);
  const settings: StreamSettings = {
    name: values.natsStream,
    historySize: limits.historySize,
    historyMaxAgeSec: limits.historyMaxAgeSec,
    replicas: values.natsReplicas,
    storage: values.natsStorage === 'memory' ? 'memory' : 'file',
    owner: true,
  };
  const nc = await connect({ ...natsAuthOptions(values), servers: natsServers(values.natsUrl), name: 'odin-stream' });
  try {
    const jsm = await jetstreamManager(nc);
    if (action === 'apply') {
      const before = await findStream(jsm, settings.name);
      const changes = before ? streamDifferences(before.config, settings).map((d) => `${d.field}: ${d.actual} -> ${d.wanted}`) : [];
      // The one result line is this command's output: log lines would mix into it.
      const info = await ensureStream(jsm, settings, createLogger('silent'));
      process.stdout.write(`${JSON.stringify({ stream: settings.name, created: before === undefined, changes, ...limitsOf(info.config) })}\n`);
      return;
    }
    const info = await findStream(jsm, settings.name);
    const differences = info ? streamDifferences(info.config, settings) : [];
    process.stdout.write(`${JSON.stringify({ stream: settings.name, exists: info !== undefined, agrees: info !== undefined && differences.length === 0, differences })}\n`);
    if (!info || differences.length > 0) process.exitCode = 1;
  } finally {
    await nc.close();
  }
}

function limitsOf(c: { max_msgs_per_subject: number; max_age: number; num_replicas: number; storage: string }): Record<string, unknown> {
  return { max_msgs_per_subject: c.max_msgs_per_subject, max_age_sec: c.max_age / 1e9, num_replicas: c.num_replicas, storage: c.storage };
}
