// The reference for writes: bare Hono routes that do what keyplane's create and delete must
// at least do, on the same driver and store: one transaction writing one row and one audit
// row, committed before the answer. BENCH_DATABASE_URL names a PostgreSQL schema to use;
// without it, an embedded PGlite in BENCH_DATA_DIR.
import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { openPglite, openPostgres } from '@keyplane/store';
import { Hono } from 'hono';

const url = process.env.BENCH_DATABASE_URL;
const db = url
  ? await openPostgres({ connectionString: url, poolSize: 10 })
  : await openPglite(process.env.BENCH_DATA_DIR);
await db.exec(`
  create table if not exists items (id uuid primary key, name text not null, created_at timestamptz not null);
  create table if not exists events (id uuid primary key, item_id uuid not null, at timestamptz not null, details jsonb not null);
`);

const audit = (tx, itemId, action) =>
  tx.query('insert into events (id, item_id, at, details) values ($1, $2, $3, $4::jsonb)', [
    randomUUID(),
    itemId,
    new Date(),
    JSON.stringify({ action }),
  ]);

const app = new Hono();
app.post('/v1/api_key/', async (c) => {
  const body = await c.req.json();
  const id = randomUUID();
  await db.transaction(async (tx) => {
    await tx.query('insert into items (id, name, created_at) values ($1, $2, $3)', [id, body.name, new Date()]);
    await audit(tx, id, 'created');
  });
  return c.json({ id, name: body.name, restricted: false });
});
app.delete('/v1/api_key/:id', async (c) => {
  const id = c.req.param('id');
  await db.transaction(async (tx) => {
    await tx.query('delete from items where id = $1', [id]);
    await audit(tx, id, 'deleted');
  });
  return c.json({});
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ message: 'listening', port: info.port })}\n`);
});
process.on('SIGTERM', () =>
  server.close(async () => {
    await db.close();
    process.exit(0);
  }),
);
