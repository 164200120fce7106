import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { applyMigrations } from '../../packages/server/src/apps/migrations.ts';

// The rule function against real PostgreSQL, with envelopes shaped as the rule hands them over (data as a
// JSON string with encoding "json", as Ably's enveloped rules deliver object data).
let db: TestDatabase;
let pool: pg.Pool;
let handler: (event: unknown) => Promise<{ results: string[] }>;

beforeAll(async () => {
  db = await createTestDatabase('chatfn');
  pool = new pg.Pool({ connectionString: db.url });
  await applyMigrations(pool, 'chat', fileURLToPath(new URL('./migrations', import.meta.url)));
  process.env.DATABASE_URL = db.url; // the function reads it on first use, as a Lambda reads its environment
  ({ handler } = await import('./function.js'));
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

let serial = 0;
function envelope(name: string, data: unknown, clientId = 'alice-id', id = `conn:${++serial}:0`) {
  return {
    source: 'channel.message',
    appId: 'app1',
    channel: 'outgoing-chat',
    site: 'rowcast',
    ruleId: 'chat-writer',
    messages: [{ id, clientId, connectionId: 'conn', timestamp: 1_764_400_000_000 + serial, name, data: JSON.stringify(data), encoding: 'json' }],
  };
}

async function rowOf(msgId: string) {
  const res = await pool.query('SELECT * FROM chat_data WHERE msg_id = $1', [msgId]);
  return res.rows[0];
}

describe('chat function', () => {
  it('inserts a chatMsg once, even when the rule delivers it twice', async () => {
    const event = envelope('chatMsg', { username: 'Alice', content: 'hello' });
    expect(await handler(event)).toEqual({ results: ['inserted'] });
    expect(await handler(event)).toEqual({ results: ['duplicate'] });
    const row = await rowOf(event.messages[0].id);
    expect(row).toMatchObject({ username: 'Alice', msg_data: 'hello', client_id: 'alice-id', is_edited: false });
    expect(Number(row.created_at_timestamp)).toBe(event.messages[0].timestamp);
    expect(Number(row.incremental_record_id)).toBeGreaterThan(0);
  });

  it('lets only the author edit a message', async () => {
    const sent = envelope('chatMsg', { username: 'Alice', content: 'original' });
    await handler(sent);
    const msgId = sent.messages[0].id;
    const forged = envelope('editedMsg', { username: 'Alice', content: 'forged', msgIdToEdit: msgId }, 'bob-id');
    expect(await handler(forged)).toEqual({ results: ['not-own-or-unchanged'] });
    expect(await rowOf(msgId)).toMatchObject({ msg_data: 'original', is_edited: false });
    const own = envelope('editedMsg', { username: 'Alice', content: 'better', msgIdToEdit: msgId });
    expect(await handler(own)).toEqual({ results: ['updated'] });
    expect(await rowOf(msgId)).toMatchObject({ msg_data: 'better', is_edited: true });
  });

  it('lets only the author delete a message', async () => {
    const sent = envelope('chatMsg', { username: 'Alice', content: 'to delete' });
    await handler(sent);
    const msgId = sent.messages[0].id;
    expect(await handler(envelope('deletedMsg', { msgIdToDelete: msgId }, 'bob-id'))).toEqual({ results: ['not-own-or-missing'] });
    expect(await rowOf(msgId)).toBeDefined();
    expect(await handler(envelope('deletedMsg', { msgIdToDelete: msgId }))).toEqual({ results: ['deleted'] });
    expect(await rowOf(msgId)).toBeUndefined();
  });

  it('rejects bad payloads without throwing, and still applies the good ones of the same delivery', async () => {
    const good = envelope('chatMsg', { username: 'Alice', content: 'fine' });
    const event = {
      ...good,
      messages: [
        { ...good.messages[0], id: 'bad-1', data: '{not json', encoding: 'json' },
        { ...good.messages[0], id: 'bad-2', data: JSON.stringify({ username: 'A', content: '   ' }) },
        { ...good.messages[0], id: 'bad-3', data: JSON.stringify({ username: 'A', content: 'x'.repeat(2001) }) },
        { ...good.messages[0], id: 'bad-4', name: 'dropTable' },
        { ...good.messages[0], id: 'bad-5', clientId: undefined },
        { ...good.messages[0], id: 'bad-6', name: 'editedMsg', data: JSON.stringify({ content: 'x' }) },
        good.messages[0],
      ],
    };
    const { results } = await handler(event);
    expect(results.slice(0, 6).every((r) => r.startsWith('rejected: '))).toBe(true);
    expect(results[6]).toBe('inserted');
    const count = await pool.query(`SELECT count(*)::int AS n FROM chat_data WHERE msg_id LIKE 'bad-%'`);
    expect(count.rows[0].n).toBe(0);
  });

  it('applies a batched envelope in one transaction: one commit for its rows, none of them when the database fails', async () => {
    const batch = (tag: string) => {
      const messages = ['one', 'poison', 'three'].map((username) => envelope('chatMsg', { username, content: `${tag} ${username}` }).messages[0]);
      return { ...envelope('chatMsg', {}), messages };
    };
    const idsOf = (event: ReturnType<typeof batch>) => event.messages.map((m) => m.id);
    const committed = async (ids: string[]) =>
      (await pool.query<{ xmin: string }>('SELECT xmin::text FROM chat_data WHERE msg_id = ANY($1)', [ids])).rows;

    const ok = batch('ok');
    expect(await handler(ok)).toEqual({ results: ['inserted', 'inserted', 'inserted'] });
    const rows = await committed(idsOf(ok));
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.xmin)).size).toBe(1); // written by one transaction

    // the database refuses the middle row (a trigger, as a constraint or a lost connection would fail it)
    await pool.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.username = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$`);
    await pool.query(`CREATE TRIGGER refuse_poison BEFORE INSERT ON chat_data FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
    const failing = batch('retried');
    try {
      await expect(handler(failing)).rejects.toThrow('poison refused');
      expect(await committed(idsOf(failing))).toHaveLength(0); // the first row was rolled back with the rest
    } finally {
      await pool.query('DROP TRIGGER refuse_poison ON chat_data; DROP FUNCTION refuse_poison()');
    }
    // the rule's retry of the same envelope then applies all of it
    expect(await handler(failing)).toEqual({ results: ['inserted', 'inserted', 'inserted'] });
  });

  it('applies inserts, edits and rejections of one envelope in order, all or nothing', async () => {
    const mine = envelope('chatMsg', { username: 'Alice', content: 'first draft' }).messages[0];
    const edit = envelope('editedMsg', { content: 'final', msgIdToEdit: mine.id }).messages[0];
    const bad = { ...envelope('chatMsg', {}).messages[0], data: '{not json' };
    const other = envelope('chatMsg', { username: 'poison', content: 'second' }).messages[0];
    const event = { ...envelope('chatMsg', {}), messages: [mine, edit, bad, other] };
    await pool.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.username = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END $$`);
    await pool.query(`CREATE TRIGGER refuse_poison BEFORE INSERT ON chat_data FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
    try {
      await expect(handler(event)).rejects.toThrow('poison refused');
      expect(await rowOf(mine.id)).toBeUndefined(); // the insert and the edit before the failure rolled back
    } finally {
      await pool.query('DROP TRIGGER refuse_poison ON chat_data; DROP FUNCTION refuse_poison()');
    }
    expect(await handler(event)).toEqual({ results: ['inserted', 'updated', 'rejected: data is not valid JSON', 'inserted'] });
    expect(await rowOf(mine.id)).toMatchObject({ msg_data: 'final', is_edited: true });
    const both = await pool.query<{ xmin: string; incremental_record_id: string }>(
      'SELECT xmin::text, incremental_record_id FROM chat_data WHERE msg_id = ANY($1) ORDER BY incremental_record_id',
      [[mine.id, other.id]],
    );
    expect(new Set(both.rows.map((r) => r.xmin)).size).toBe(1);
    // a repeated delivery inserts nothing and reports duplicates, the edit already applied
    expect(await handler(event)).toEqual({ results: ['duplicate', 'not-own-or-unchanged', 'rejected: data is not valid JSON', 'duplicate'] });
  });

  it('accepts object data too (a rule with enveloped data already decoded)', async () => {
    const event = envelope('chatMsg', {});
    event.messages[0] = {
      ...event.messages[0],
      data: { username: 'Bob', content: 'object' } as unknown as string,
      encoding: undefined as unknown as string,
    };
    expect(await handler(event)).toEqual({ results: ['inserted'] });
  });
});
