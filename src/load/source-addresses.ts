// Many connections from one machine: every TCP connection to one server
// address and port needs its own local port, and a source address has only
// the ephemeral range (about 28,000 ports on Linux). Spreading connections over
// source addresses in 127.0.0.0/8 lifts that limit; only loopback targets
// qualify, since other addresses cannot be reached from 127.x.
import { readFileSync } from 'node:fs';

/** Never more than this many source addresses: bounded, and enough for 1.6 M connections. */
export const MAX_SOURCE_ADDRESSES = 64;

/** Usable ephemeral ports per source address, keeping a fifth spare for TIME_WAIT and others. */
export function portsPerAddress(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && high > low) return Math.floor((high - low + 1) * 0.8);
  } catch {
    // not Linux: assume the IANA range
  }
  return Math.floor(16_384 * 0.8);
}

export function isLoopbackV4(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The source addresses for `connections` connections to `host`: none (let the
 * kernel choose) when one address suffices or the target is not IPv4
 * loopback, else 127.0.0.1, 127.0.0.2, ... as many as needed, at most
 * MAX_SOURCE_ADDRESSES. `spread` forces spreading (fresh ports for repeated runs).
 */
export function sourceAddresses(host: string, connections: number, perAddress = portsPerAddress(), spread = false): string[] {
  if (!isLoopbackV4(host)) return [];
  const needed = Math.ceil(connections / perAddress);
  if (needed <= 1 && !spread) return [];
  const count = Math.min(MAX_SOURCE_ADDRESSES, Math.max(needed, spread ? Math.min(MAX_SOURCE_ADDRESSES, Math.ceil(connections / 1000)) : 1));
  return Array.from({ length: count }, (_, i) => `127.0.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`);
}

/** Round-robin: connection `index` uses this source address (undefined = kernel's choice). */
export function sourceAddressFor(addresses: readonly string[], index: number): string | undefined {
  return addresses.length === 0 ? undefined : addresses[index % addresses.length];
}
