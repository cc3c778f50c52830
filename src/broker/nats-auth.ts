// Turns the NATS credential settings into nats.js connection options. Files
// are read here, once, at start: a missing or unreadable file stops the
// process with a message naming the option instead of failing at connect.
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import type { NatsCredentialSettings } from '../config/nats-credentials.js';
import { ConfigError } from '../config/option-parser.js';

function readSecretFile(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${option}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The authentication and TLS part of a NATS connection's options; empty when none is configured. */
export function natsAuthOptions(s: Partial<NatsCredentialSettings>): Partial<ConnectionOptions> {
  const options: Partial<ConnectionOptions> = {};
  if (s.natsUser !== undefined) {
    options.user = s.natsUser;
    options.pass = s.natsPasswordFile !== undefined ? readSecretFile(s.natsPasswordFile, '--nats-password-file/NATS_PASSWORD_FILE') : s.natsPassword;
  }
  if (s.natsToken !== undefined) options.token = s.natsToken;
  if (s.natsNkeySeedFile !== undefined) {
    const seed = readSecretFile(s.natsNkeySeedFile, '--nats-nkey-seed-file/NATS_NKEY_SEED_FILE');
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (s.natsCredsFile !== undefined) {
    const creds = readSecretFile(s.natsCredsFile, '--nats-creds-file/NATS_CREDS_FILE');
    options.authenticator = credsAuthenticator(new TextEncoder().encode(creds));
  }
  if (s.natsTlsCa !== undefined) {
    readSecretFile(s.natsTlsCa, '--nats-tls-ca/NATS_TLS_CA');
    options.tls = { caFile: s.natsTlsCa };
  }
  return options;
}
