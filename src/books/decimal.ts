// Decimal strings as venues format them ("45285.2", "0.00100000"): validated
// and compared without ever becoming floats, so precision is never lost and
// the checksum is computed over exactly the publisher's characters.

/** Unsigned decimal: digits, optionally a point and more digits. No sign, no exponent. */
const DECIMAL_RE = /^[0-9]+(\.[0-9]+)?$/;

/** Longest decimal string accepted (a venue never needs more; bounds work per level). */
export const MAX_DECIMAL_LENGTH = 32;

export function isDecimal(s: string): boolean {
  return s.length <= MAX_DECIMAL_LENGTH && DECIMAL_RE.test(s);
}

/** True for any spelling of zero ("0", "0.0", "000.00000"). */
export function isZero(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 48 /* 0 */ && c !== 46 /* . */) return false;
  }
  return true;
}

/**
 * Compares two valid decimal strings by value: negative when a < b. Integer
 * parts are compared without their leading zeros (longer is larger), then the
 * fractions digit by digit (a missing digit is a zero).
 */
export function compareDecimal(a: string, b: string): number {
  const ap = a.indexOf('.');
  const bp = b.indexOf('.');
  const aInt = stripLeadingZeros(ap < 0 ? a : a.slice(0, ap));
  const bInt = stripLeadingZeros(bp < 0 ? b : b.slice(0, bp));
  if (aInt.length !== bInt.length) return aInt.length - bInt.length;
  if (aInt !== bInt) return aInt < bInt ? -1 : 1;
  const aFrac = ap < 0 ? '' : a.slice(ap + 1);
  const bFrac = bp < 0 ? '' : b.slice(bp + 1);
  const n = Math.max(aFrac.length, bFrac.length);
  for (let i = 0; i < n; i++) {
    const x = i < aFrac.length ? aFrac.charCodeAt(i) : 48;
    const y = i < bFrac.length ? bFrac.charCodeAt(i) : 48;
    if (x !== y) return x - y;
  }
  return 0;
}

function stripLeadingZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return i === 0 ? s : s.slice(i);
}
