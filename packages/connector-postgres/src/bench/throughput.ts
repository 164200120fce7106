/**
 * Measures the change stream's commit-to-publish throughput: ROWS rows in transactions of TX_ROWS, written to an
 * embedded PostgreSQL, streamed to a Rowcast engine in this process, in-process and through REST.
 * Run: node --import tsx packages/connector-postgres/src/bench/throughput.ts [rows] [txRows]
 * "live": the connector streams while the rows are written; prints rows/s from the first commit to the last
 * accepted message and the p50/p99 commit-to-accept delay of each transaction's last row (on a busy machine the
 * writer is the bottleneck). "backlog": the rows are written while the connector is stopped, then it drains them:
 * rows/s from its start to the last accepted message is the stream's own rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { parseConfig, startEmbeddedPostgres, startServer, type ComponentStarter } from '@rowcast/server';
import { nodePublisher, parseConnectorConfig, PostgresConnector, restPublisher } from '../index.js';
import { freePort } from '../../../../test/support/ports.ts';

const ROWS = Number(process.argv[2] ?? 100_000);
const TX_ROWS = Number(process.argv[3] ?? 1_000);
const KEY = { name: 'bench.key', secret: 'benchsecret', capability: { '*': ['*'] } };
const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

const dataDir = mkdtempSync(join(tmpdir(), 'rowcast-bench-pg-'));
const pgServer = await startEmbeddedPostgres({ dataDir, port: await freePort() });
const none: ComponentStarter[] = [];
const server = await startServer(parseConfig({ port: 0, host: '127.0.0.1', keys: [KEY], dataDir: join(dataDir, 'rc') }), {
  logger,
  components: none,
});
const sql = new pg.Client({ connectionString: pgServer.url });
await sql.connect();

for (const [mode, phase] of [
  ['in-process', 'live'],
  ['rest', 'live'],
  ['in-process', 'backlog'],
  ['rest', 'backlog'],
] as const) {
  const table = `items_${mode.replace('-', '_')}_${phase}`;
  await sql.query(`CREATE TABLE ${table} (id int PRIMARY KEY, customer text, amount numeric, at timestamptz DEFAULT now(), meta jsonb)`);
  const config = parseConnectorConfig({
    databaseUrl: pgServer.url,
    connector: [{ tablename: table, ablychannelname: table, operation: 'INSERT' }],
    slotName: `${table}_slot`,
    publicationName: `${table}_pub`,
  });
  const publisher =
    mode === 'rest'
      ? restPublisher({ endpoint: server.url, apiKey: `${KEY.name}:${KEY.secret}`, maxMessageSize: config.maxMessageSize })
      : nodePublisher(server.node);
  let connector = new PostgresConnector(config, publisher, logger);
  await connector.start();
  while (!connector.state().streaming) await new Promise((r) => setTimeout(r, 10));
  if (phase === 'backlog') await connector.stop(); // the slot keeps what is written meanwhile

  const lastIdOfTx = new Map<number, number>(); // last row id of a transaction -> commit time
  const delays: number[] = [];
  let accepted = 0;
  let lastAcceptedAt = 0;
  server.node.onAccepted((event) => {
    if (event.kind !== 'message' || event.channel !== table) return;
    accepted += event.messages.length;
    lastAcceptedAt = performance.now();
    for (const m of event.messages) {
      const id = Number(/"id":(\d+)/.exec(String(m.data))?.[1]);
      const committed = lastIdOfTx.get(id);
      if (committed !== undefined) delays.push(lastAcceptedAt - committed);
    }
  });
  const cpuBefore = process.cpuUsage();
  const firstCommit = performance.now();
  for (let from = 1; from <= ROWS; from += TX_ROWS) {
    const to = Math.min(ROWS, from + TX_ROWS - 1);
    await sql.query(
      `INSERT INTO ${table} (id, customer, amount, meta)
       SELECT g, 'customer ' || g, g * 1.5, jsonb_build_object('n', g, 'tags', jsonb_build_array('a', 'b'))
         FROM generate_series($1::int, $2::int) g`,
      [from, to],
    );
    lastIdOfTx.set(to, performance.now());
  }
  const writtenAt = performance.now();
  let streamStart = firstCommit;
  if (phase === 'backlog') {
    delays.length = 0;
    lastIdOfTx.clear();
    streamStart = performance.now();
    connector = new PostgresConnector(
      config,
      mode === 'rest'
        ? restPublisher({ endpoint: server.url, apiKey: `${KEY.name}:${KEY.secret}`, maxMessageSize: config.maxMessageSize })
        : nodePublisher(server.node),
      logger,
    );
    await connector.start();
  }
  while (accepted < ROWS) await new Promise((r) => setTimeout(r, 5));
  const seconds = (lastAcceptedAt - streamStart) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  delays.sort((a, b) => a - b);
  const pct = (p: number) => (delays.length ? delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))].toFixed(1) : '-');
  console.log(
    `${mode.padEnd(10)} ${phase.padEnd(7)} ${ROWS} rows in ${TX_ROWS}-row transactions: ${Math.round(ROWS / seconds)} rows/s ` +
      `(write took ${((writtenAt - firstCommit) / 1000).toFixed(2)} s, stream ${seconds.toFixed(2)} s); ` +
      `commit-to-accept of a transaction's last row p50 ${pct(50)} ms, p99 ${pct(99)} ms; ` +
      `this process used ${cpuSeconds.toFixed(2)} CPU s (${Math.round(ROWS / cpuSeconds)} rows per CPU-second)`,
  );
  await connector.stop();
}

await sql.end();
await server.close();
await pgServer.stop();
rmSync(dataDir, { recursive: true, force: true });
