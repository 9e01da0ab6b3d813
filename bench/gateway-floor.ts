/**
 * The floor of a gateway in another process (gateway.bench.ts runs it as a child): the same
 * substrate and the same recall behind a bare node:http server — no Fastify, no bearer auth, no
 * schema validation, no logging; the body is the http backend's (embeddingF32 decoded with the
 * wire's own decoder), the answer `{ results, timing }` as JSON.stringify makes it (timing: the wall-clock
 * instants the request arrived and the answer left, for the bench to split the round trip into its
 * legs); `/echo` answers `{}` at once (a round trip with no work). What `memstrate serve`
 * takes beyond this is what its layers cost; this minus in-process is loopback HTTP plus the
 * JSON both ways, on this machine, under its present load.
 *
 * Usage: node --import tsx bench/gateway-floor.ts <sqlite file> <audit anchor file> <port>; prints "ready" on stdout.
 */
import { createServer } from 'node:http';
import { MemorySubstrate } from '../src/index.js';
import { decodeF32 } from '../src/wire/vector-f32.js';
import { wall } from './lib.js';
import type { RecallQuery } from '../src/contracts/semantic-store.js';

const [sqlitePath, auditAnchorPath, portText] = process.argv.slice(2);
if (sqlitePath === undefined || auditAnchorPath === undefined || portText === undefined) throw new Error('usage: gateway-floor.ts <sqlite file> <audit anchor file> <port>');
const mem = await MemorySubstrate.open({ sqlitePath, auditAnchorPath }, { env: {} });
const server = createServer((req, res) => {
  const received = wall();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url === '/echo') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }).end('{}');
      return;
    }
    void (async () => {
      try {
        const { embeddingF32, ...rest } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecallQuery & { embeddingF32?: string };
        const query = (embeddingF32 === undefined ? rest : { ...rest, embedding: decodeF32(embeddingF32) as Float32Array }) as RecallQuery;
        const results = await mem.semantic.recall(query);
        // When the request arrived and when the answer leaves (wall clock), so the client can tell the two legs apart.
        const text = JSON.stringify({ results, timing: { received, answered: wall() } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    })();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void mem.close().then(() => process.exit(0));
});
