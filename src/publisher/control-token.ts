// The bearer token POST /control requires: from --control-token/CONTROL_TOKEN,
// from --control-token-file/CONTROL_TOKEN_FILE, or else a random one made at
// start and printed once (so `odin dev` stays one command).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ControlConfig } from '../config/publisher-options.js';
import { ConfigError } from '../config/option-parser.js';

/** Shorter configured tokens are refused: a control token is a password for the market. */
export const MIN_CONTROL_TOKEN_LENGTH = 16;

export interface ControlToken {
  token: string;
  /** True when none was configured and this one was made at start. */
  generated: boolean;
}

export function resolveControlToken(config: Pick<ControlConfig, 'controlToken' | 'controlTokenFile'>): ControlToken {
  let token = config.controlToken;
  if (config.controlTokenFile !== undefined) {
    try {
      token = readFileSync(config.controlTokenFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`--control-token-file/CONTROL_TOKEN_FILE: cannot read ${config.controlTokenFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (token === undefined || token === '') return { token: randomBytes(24).toString('base64url'), generated: true };
  if (token.length < MIN_CONTROL_TOKEN_LENGTH) throw new ConfigError(`the control token must be at least ${MIN_CONTROL_TOKEN_LENGTH} characters (got ${token.length})`);
  return { token, generated: false };
}

/** Constant-time comparison (through digests, so lengths leak nothing either). */
export function tokensMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
