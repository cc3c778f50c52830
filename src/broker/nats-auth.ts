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

/**
 * Runs an authenticator once at start: a file that is no nkey seed or creds
 * file fails here, naming the option and the file, instead of at connect
 * with nats.js's words. Its contents (a secret) are never shown.
 */
function checkAuthenticator(authenticator: NonNullable<ConnectionOptions['authenticator']>, path: string, option: string, what: string): void {
  try {
    (Array.isArray(authenticator) ? authenticator : [authenticator]).forEach((a) => a('odin-start-check'));
  } catch {
    throw new ConfigError(`${option}: ${path} is not ${what}; its contents are not shown`);
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
    const option = '--nats-nkey-seed-file/NATS_NKEY_SEED_FILE';
    const seed = readSecretFile(s.natsNkeySeedFile, option);
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
    checkAuthenticator(options.authenticator, s.natsNkeySeedFile, option, 'an nkey seed (a line starting with SU)');
  }
  if (s.natsCredsFile !== undefined) {
    const option = '--nats-creds-file/NATS_CREDS_FILE';
    const creds = readSecretFile(s.natsCredsFile, option);
    options.authenticator = credsAuthenticator(new TextEncoder().encode(creds));
    checkAuthenticator(options.authenticator, s.natsCredsFile, option, 'a NATS credentials file (a user JWT and an nkey seed between ----- lines)');
  }
  if (s.natsTlsCa !== undefined) {
    readSecretFile(s.natsTlsCa, '--nats-tls-ca/NATS_TLS_CA');
    options.tls = { caFile: s.natsTlsCa };
  }
  return options;
}
