// The reference for GET /api/v1/media/:id: a bare Fastify route in its own process (as the Montu
// server is) answering with the same JSON bytes from memory: no authentication, no database, no
// hooks. Usage: node bare-fastify-child.mjs <file with the JSON body>; prints { url } when listening.
import fs from 'node:fs';
import Fastify from 'fastify';

const body = fs.readFileSync(process.argv[2]);
const app = Fastify({ logger: false });
app.get('/api/v1/media/:id', (_req, reply) => {
  reply.type('application/json; charset=utf-8').send(body);
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ url }) + '\n');
process.on('SIGTERM', async () => {
  await app.close();
  process.exit(0);
});
