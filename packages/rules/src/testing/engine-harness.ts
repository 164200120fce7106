import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@rowcast/test-support/database';
import { rulesSectionSchema, type RuleConfigInput } from '../config.js';
import { RulesEngine } from '../rules-engine.js';
import { capturingLogger, createRuleLog, eventually } from './helpers.js';

const fixtures = fileURLToPath(new URL('../../test-fixtures/', import.meta.url));

export interface RuleLogRow {
  delivery_id: string;
  channel: string;
  name: string;
  deliveries: number;
  envelope: any;
}

/**
 * A test file's database with the `rule_log` table the fixture functions write to, and helpers to start engines
 * on it (function modules from test-fixtures/) and read what the functions applied.
 */
export async function engineHarness(prefix: string) {
  const db: TestDatabase = await createTestDatabase(prefix);
  await createRuleLog(db.url);
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });

  async function startEngine(rules: RuleConfigInput[], databaseUrl: string | undefined = db.url, stopGraceMs = 5_000) {
    const { logger, lines } = capturingLogger();
    const engine = await RulesEngine.start({
      rules: rulesSectionSchema.parse(rules),
      logger,
      baseDir: fixtures,
      databaseUrl,
      appId: 'app1',
      site: 'test-site',
      resolveSigningKey: () => undefined,
      functionEnv: { DATABASE_URL: db.url },
      stopGraceMs,
    });
    return { engine, lines };
  }

  async function logRows(ruleId: string): Promise<RuleLogRow[]> {
    const { rows } = await sql.query<RuleLogRow>(
      `SELECT delivery_id, channel, name, deliveries, envelope FROM rule_log WHERE rule_id = $1 ORDER BY applied`,
      [ruleId],
    );
    return rows;
  }

  /** Waits until the rule's function applied at least `count` messages. */
  function rowsWhen(ruleId: string, count: number): Promise<RuleLogRow[]> {
    return eventually(async () => {
      const rows = await logRows(ruleId);
      return rows.length >= count ? rows : undefined;
    }, `${count} deliveries for ${ruleId}`);
  }

  return {
    db,
    sql,
    startEngine,
    logRows,
    rowsWhen,
    async close() {
      await sql.end();
      await db.drop();
    },
  };
}
