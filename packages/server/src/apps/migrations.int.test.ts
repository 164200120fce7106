import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@rowcast/test-support/database';
import { applyMigrations } from './migrations.js';

let db: TestDatabase;
let pool: pg.Pool;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('appmig');
  pool = new pg.Pool({ connectionString: db.url });
  dir = mkdtempSync(join(tmpdir(), 'rowcast-migrations-'));
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('applyMigrations', () => {
  it('applies each file once, in name order, and later only the new ones', async () => {
    writeFileSync(join(dir, '002_rows.sql'), `INSERT INTO notes (body) VALUES ('second file ran after the first')`);
    writeFileSync(join(dir, '001_table.sql'), 'CREATE TABLE notes (id bigserial PRIMARY KEY, body text)');
    writeFileSync(join(dir, 'README.md'), 'not a migration');
    expect(await applyMigrations(pool, 'notes', dir)).toEqual(['001_table.sql', '002_rows.sql']);
    expect(await applyMigrations(pool, 'notes', dir)).toEqual([]);
    writeFileSync(join(dir, '003_more.sql'), `INSERT INTO notes (body) VALUES ('third')`);
    expect(await applyMigrations(pool, 'notes', dir)).toEqual(['003_more.sql']);
    expect((await pool.query('SELECT count(*)::int AS n FROM notes')).rows[0].n).toBe(2);
  });

  it('keeps apps apart and runs concurrent starts without applying a file twice', async () => {
    const other = mkdtempSync(join(tmpdir(), 'rowcast-migrations-other-'));
    writeFileSync(join(other, '001_table.sql'), 'CREATE TABLE other_notes (id bigserial PRIMARY KEY)');
    writeFileSync(join(other, '002_row.sql'), 'INSERT INTO other_notes DEFAULT VALUES');
    const results = await Promise.all([applyMigrations(pool, 'other', other), applyMigrations(pool, 'other', other)]);
    expect(results.flat().sort()).toEqual(['001_table.sql', '002_row.sql']);
    expect((await pool.query('SELECT count(*)::int AS n FROM other_notes')).rows[0].n).toBe(1);
    rmSync(other, { recursive: true, force: true });
  });

  it('rolls a failing file back, names it, and does not record it', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'rowcast-migrations-bad-'));
    writeFileSync(join(bad, '001_bad.sql'), 'CREATE TABLE half_done (id int); SELECT no_such_column FROM half_done');
    await expect(applyMigrations(pool, 'bad', bad)).rejects.toThrow(/001_bad\.sql of app bad failed/);
    expect((await pool.query(`SELECT to_regclass('half_done') AS t`)).rows[0].t).toBeNull();
    expect((await pool.query(`SELECT count(*)::int AS n FROM rowcast_app_migrations WHERE app = 'bad'`)).rows[0].n).toBe(0);
    rmSync(bad, { recursive: true, force: true });
  });
});
