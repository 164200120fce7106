import type pg from 'pg';
import { parsePgArray, parsePgRecord, type PgArray } from './pg-text.js';

/**
 * Turns pgoutput's text values into the JSON PostgreSQL's own `row_to_json` gives for the same row: numbers as
 * numbers, booleans, json/jsonb verbatim, arrays as JSON arrays, composites as objects, date/timestamp in XSD form
 * (`2024-01-02T03:04:05+00:00`), everything else as the type's text output in a JSON string. The rules are those
 * of PostgreSQL's datum_to_json, chosen per type from pg_type (domains by their base type).
 * Assumes the replication session runs with DateStyle=ISO (set by the session), so only the separators differ.
 */

/** Converts one non-NULL value's text to a JSON text fragment. */
export type ValueEncoder = (text: string) => string;

interface TypeRow {
  oid: number;
  typtype: string;
  typcategory: string;
  typelem: number;
  typbasetype: number;
  typdelim: string;
  typrelid: number;
}

const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  float4: 700,
  float8: 701,
  numeric: 1700,
  json: 114,
  jsonb: 3802,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
} as const;

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const asString: ValueEncoder = (text) => JSON.stringify(text);
const asNumber: ValueEncoder = (text) => (JSON_NUMBER.test(text) ? text : JSON.stringify(text));
const asBool: ValueEncoder = (text) => (text === 't' ? 'true' : 'false');
const asJson: ValueEncoder = (text) => text;
// Date/time output (digits, signs, separators, "infinity", "BC") never needs JSON escaping: quoting is enough.
/** ISO `2024-01-02 03:04:05.5` -> XSD `2024-01-02T03:04:05.5` (infinity stays as is). */
const asTimestamp: ValueEncoder = (text) => `"${xsdDateTime(text)}"`;
/** Also widens ISO's `+02` offset to XSD's `+02:00`. */
const asTimestampTz: ValueEncoder = (text) => {
  const t = xsdDateTime(text);
  const end = t.endsWith(' BC') ? t.length - 3 : t.length;
  // ISO prints "+HH" when the offset has no minutes; XSD always "+HH:MM"
  const sign = t.charCodeAt(end - 3);
  if (sign === 43 || sign === 45) {
    return end === t.length ? `"${t}:00"` : `"${t.slice(0, end)}:00${t.slice(end)}"`;
  }
  return `"${t}"`;
};

function xsdDateTime(text: string): string {
  // years of four or more digits: the date ends at the first space
  const space = text.indexOf(' ');
  return space >= 10 && text.charCodeAt(space - 3) === 45 /* - */ && space < text.length - 3
    ? `${text.slice(0, space)}T${text.slice(space + 1)}`
    : text;
}

/** Encoders by type OID, loaded from pg_type on first sight of an OID. */
export class RowJsonTypes {
  private readonly encoders = new Map<number, ValueEncoder>();
  private readonly rows = new Map<number, TypeRow>();
  private readonly composites = new Map<number, Array<{ name: string; type: number }>>();

  constructor(private readonly query: (sql: string, params: unknown[]) => Promise<pg.QueryResult>) {}

  /** Relations all of whose column types are loaded: most transactions need no check beyond this. */
  private readonly knownRelations = new WeakSet<object>();

  /**
   * The column types of these relations that `ensure` has yet to load (none, nearly always: then the caller
   * goes on synchronously, with no promise per transaction).
   */
  missing(relations: Iterable<{ columns: Array<{ typeOid: number }> }>): number[] {
    const out: number[] = [];
    for (const relation of relations) {
      if (this.knownRelations.has(relation)) continue;
      const unknown = relation.columns.map((c) => c.typeOid).filter((o) => !this.rows.has(o));
      if (unknown.length === 0) this.knownRelations.add(relation);
      else out.push(...unknown);
    }
    return out;
  }

  /** Loads whatever is needed to encode these types (elements, domain bases, composite fields). */
  async ensure(oids: Iterable<number>): Promise<void> {
    let pending = [...new Set(oids)].filter((o) => !this.rows.has(o));
    while (pending.length) {
      const res = await this.query(
        `SELECT oid::int, typtype, typcategory, typelem::int, typbasetype::int, typdelim, typrelid::int
           FROM pg_type WHERE oid = ANY($1::oid[])`,
        [pending],
      );
      const next: number[] = [];
      for (const row of res.rows as TypeRow[]) {
        this.rows.set(row.oid, row);
        if (row.typtype === 'd') next.push(row.typbasetype);
        else if (row.typcategory === 'A' && row.typelem) next.push(row.typelem);
        else if (row.typtype === 'c' && !this.composites.has(row.oid)) {
          const fields = await this.query(
            `SELECT attname AS name, atttypid::int AS type FROM pg_attribute
              WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
            [row.typrelid],
          );
          const list = fields.rows as Array<{ name: string; type: number }>;
          this.composites.set(row.oid, list);
          next.push(...list.map((f) => f.type));
        }
      }
      for (const o of pending) if (!this.rows.has(o)) this.rows.set(o, unknownType(o));
      pending = [...new Set(next)].filter((o) => !this.rows.has(o));
    }
  }

  /** The encoder of a type whose catalog row was loaded by `ensure` (unknown types encode as strings). */
  encoder(oid: number): ValueEncoder {
    let enc = this.encoders.get(oid);
    if (!enc) {
      enc = this.build(oid);
      this.encoders.set(oid, enc);
    }
    return enc;
  }

  private build(oid: number): ValueEncoder {
    switch (oid) {
      case OID.bool:
        return asBool;
      case OID.int2:
      case OID.int4:
      case OID.int8:
      case OID.float4:
      case OID.float8:
      case OID.numeric:
        return asNumber;
      case OID.json:
      case OID.jsonb:
        return asJson;
      case OID.date:
        return asString; // ISO and XSD dates are the same text
      case OID.timestamp:
        return asTimestamp;
      case OID.timestamptz:
        return asTimestampTz;
    }
    const row = this.rows.get(oid);
    if (!row) return asString;
    if (row.typtype === 'd') return this.encoder(row.typbasetype);
    if (row.typcategory === 'A' && row.typelem) {
      const element = this.encoder(row.typelem);
      const delimiter = this.rows.get(row.typelem)?.typdelim ?? ',';
      return (text) => arrayToJson(parsePgArray(text, delimiter), element);
    }
    const fields = this.composites.get(oid);
    if (row.typtype === 'c' && fields) {
      const names = fields.map((f) => JSON.stringify(f.name));
      const encoders = fields.map((f) => this.encoder(f.type));
      return (text) => {
        const values = parsePgRecord(text);
        let out = '{';
        for (let i = 0; i < names.length; i++) {
          const v = values[i];
          out += `${i ? ',' : ''}${names[i]}:${v === null || v === undefined ? 'null' : encoders[i](v)}`;
        }
        return `${out}}`;
      };
    }
    return asString;
  }
}

function arrayToJson(items: PgArray, element: ValueEncoder): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (i) out += ',';
    out += item === null ? 'null' : Array.isArray(item) ? arrayToJson(item, element) : element(item);
  }
  return `${out}]`;
}

function unknownType(oid: number): TypeRow {
  return { oid, typtype: 'b', typcategory: 'U', typelem: 0, typbasetype: 0, typdelim: ',', typrelid: 0 };
}
