// The book checksum, Kraken WebSocket v2's: CRC32 (zlib's polynomial,
// unsigned) over the top 10 asks (lowest price first) then the top 10 bids
// (highest first), each level written as its price then its qty with the '.'
// removed and leading zeros stripped. docs/books.md has the worked example.
import { crc32 } from 'node:zlib';
import type { Level } from './book-message.js';

/** Levels of each side the checksum covers, whatever depth a client holds. */
export const CHECKSUM_DEPTH = 10;

/** A decimal string as the checksum writes it: "0.00100000" -> "100000", "45285.2" -> "452852". */
export function checksumDigits(decimal: string): string {
  const digits = decimal.indexOf('.') < 0 ? decimal : decimal.replace('.', '');
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === 48) i++;
  return i === 0 ? digits : digits.slice(i);
}

/** The checksum of a book given its sides best first (asks lowest first, bids highest first). */
export function bookChecksum(asksBestFirst: readonly Level[], bidsBestFirst: readonly Level[]): number {
  let text = '';
  const na = Math.min(CHECKSUM_DEPTH, asksBestFirst.length);
  for (let i = 0; i < na; i++) {
    const l = asksBestFirst[i]!;
    text += checksumDigits(l[0]) + checksumDigits(l[1]);
  }
  const nb = Math.min(CHECKSUM_DEPTH, bidsBestFirst.length);
  for (let i = 0; i < nb; i++) {
    const l = bidsBestFirst[i]!;
    text += checksumDigits(l[0]) + checksumDigits(l[1]);
  }
  return crc32(text) >>> 0;
}
