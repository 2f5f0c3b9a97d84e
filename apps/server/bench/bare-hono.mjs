// The reference: bare Hono routes on the same stack as keyplane (@hono/node-server),
// doing what a handler must at least do: parse the request and answer JSON.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/v1/keys/verify', async (c) => {
  const body = await c.req.json();
  return c.json({ valid: typeof body.key === 'string', code: 'VALID' });
});
app.get('/v1/api_key/:id', (c) => c.json({ id: c.req.param('id'), name: 'bench', restricted: false }));
app.post('/v1/api_key/', async (c) => {
  const body = await c.req.json();
  return c.json({ id: crypto.randomUUID(), name: body.name, restricted: false });
});
app.delete('/v1/api_key/:id', (c) => c.json({}));
app.get('/v1/api_key/', (c) => c.json({ data: [], has_more: false }));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ message: 'listening', port: info.port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
