/**
 * Parsers for PostgreSQL's text output of arrays (`{1,"a b",NULL}`, `[0:1]={{1,2},{3,4}}`) and of composite
 * values (`(1,"a ""b""",)`), which pgoutput sends for array and row-typed columns. Elements stay raw text;
 * the caller converts each one by its element type.
 */

/** A parsed array: nested arrays for each dimension, raw element text, `null` for SQL NULL. */
export type PgArray = Array<string | null | PgArray>;

/** Parses an array's text form with the element type's delimiter (`,` for all but `box`). */
export function parsePgArray(text: string, delimiter = ','): PgArray {
  let pos = 0;
  if (text[0] === '[') {
    // explicit bounds, e.g. "[0:2]={...}": the bounds do not change the elements, row_to_json ignores them too
    pos = text.indexOf('=') + 1;
  }
  const parseLevel = (): PgArray => {
    if (text[pos] !== '{') throw new Error(`malformed array literal: ${text}`);
    pos++;
    const out: PgArray = [];
    if (text[pos] === '}') {
      pos++;
      return out;
    }
    for (;;) {
      while (text[pos] === ' ') pos++;
      const ch = text[pos];
      if (ch === '{') {
        out.push(parseLevel());
      } else if (ch === '"') {
        pos++;
        let value = '';
        while (text[pos] !== '"') {
          if (text[pos] === '\\') pos++;
          value += text[pos++];
        }
        pos++;
        out.push(value);
      } else {
        const start = pos;
        while (text[pos] !== delimiter && text[pos] !== '}') pos++;
        const raw = text.slice(start, pos).trim();
        out.push(raw.toUpperCase() === 'NULL' ? null : raw);
      }
      while (text[pos] === ' ') pos++;
      if (text[pos] === delimiter) {
        pos++;
        continue;
      }
      if (text[pos] === '}') {
        pos++;
        return out;
      }
      throw new Error(`malformed array literal: ${text}`);
    }
  };
  return parseLevel();
}

/** Parses a composite value's text form into its fields (raw text, `null` for an empty unquoted field). */
export function parsePgRecord(text: string): Array<string | null> {
  if (text[0] !== '(' || text[text.length - 1] !== ')') throw new Error(`malformed record literal: ${text}`);
  const out: Array<string | null> = [];
  let pos = 1;
  const end = text.length - 1;
  for (;;) {
    let value = '';
    let quotedOrText = false;
    while (pos < end && text[pos] !== ',') {
      const ch = text[pos];
      if (ch === '"') {
        quotedOrText = true;
        pos++;
        for (;;) {
          if (text[pos] === '"') {
            if (text[pos + 1] === '"') {
              value += '"';
              pos += 2;
              continue;
            }
            pos++;
            break;
          }
          if (text[pos] === '\\') pos++;
          value += text[pos++];
        }
      } else {
        if (ch === '\\') pos++;
        value += text[pos++];
        quotedOrText = true;
      }
    }
    out.push(quotedOrText ? value : null);
    if (pos >= end) return out;
    pos++; // the comma
  }
}
