/**
 * PostgreSQL log sequence numbers ("16/B374D848") as bigints, so positions compare and subtract exactly.
 * The text form is two 32-bit halves in hex; the numeric form is the 64-bit byte position in the WAL.
 */

/** Parses `X/Y` into its 64-bit position. */
export function parseLsn(text: string): bigint {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`not an LSN: ${text}`);
  return (BigInt(`0x${text.slice(0, slash)}`) << 32n) | BigInt(`0x${text.slice(slash + 1)}`);
}

/** Formats a 64-bit position as PostgreSQL does (`X/Y`, upper-case hex, no padding). */
export function formatLsn(lsn: bigint): string {
  const hi = lsn >> 32n;
  const lo = lsn & 0xffffffffn;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

/** Fixed-width hex (16 digits) of a position: sorts as text and makes stable message ids. */
export function lsnKey(lsn: bigint): string {
  return lsn.toString(16).padStart(16, '0');
}
