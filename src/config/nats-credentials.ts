// How gateways and publishers prove who they are to NATS. One method at a
// time: user and password, a token, an nkey seed or a credentials file; a CA
// file turns TLS on. The secrets themselves are read by src/broker/nats-auth.ts.
import { ConfigError } from './option-parser.js';

export interface NatsCredentialSettings {
  natsUser: string | undefined;
  natsPassword: string | undefined;
  natsPasswordFile: string | undefined;
  natsToken: string | undefined;
  natsNkeySeedFile: string | undefined;
  natsCredsFile: string | undefined;
  natsTlsCa: string | undefined;
}

/** Refuses contradictory settings before anything connects. */
export function checkNatsCredentials(s: NatsCredentialSettings): void {
  const hasPassword = s.natsPassword !== undefined || s.natsPasswordFile !== undefined;
  if (s.natsPassword !== undefined && s.natsPasswordFile !== undefined) {
    throw new ConfigError('--nats-password/NATS_PASSWORD and --nats-password-file/NATS_PASSWORD_FILE: give one, not both');
  }
  if (hasPassword !== (s.natsUser !== undefined)) {
    throw new ConfigError('--nats-user/NATS_USER and a NATS password go together: give both or neither');
  }
  const methods = [
    s.natsUser !== undefined ? 'user/password' : undefined,
    s.natsToken !== undefined ? '--nats-token' : undefined,
    s.natsNkeySeedFile !== undefined ? '--nats-nkey-seed-file' : undefined,
    s.natsCredsFile !== undefined ? '--nats-creds-file' : undefined,
  ].filter((m) => m !== undefined);
  if (methods.length > 1) throw new ConfigError(`NATS credentials: one method at a time, got ${methods.join(' and ')}`);
}
