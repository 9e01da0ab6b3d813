/**
 * Error codes over the wire. Each MemoryError code is produced by a real substrate put in the state
 * that makes it fail — a SQLite store with forged or cross-linked rows, a closed substrate, an
 * `http` semantic backend whose gateway rotated its token or went away — and must leave the gateway
 * with its status and body, then come back from that body as the same class.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  ChainIntegrityError,
  ConfigError,
  ConflictError,
  InternalError,
  LeaseLostError,
  MemoryError,
  NotFoundError,
  NotSupportedError,
  ValidationError,
  BackendRegistry,
  registeredBackends,
  type MemoryErrorCode,
} from '../../src/index.js';
import { errorFromWire, STATUS_BY_CODE } from '../../src/wire/errors.js';
import { TestGateway } from '../harness/cells/http.js';
import { jsonfileBackend } from '../../examples/memstrate-backend-jsonfile/src/index.js';
import { startGateway, tempDir, type GatewayUnderTest, type Reply } from './fixture.js';

const SECRET = 'hunter2-very-secret';
const MISSING_ID = '0190f0f0-0000-7000-8000-000000000000';
const TOKEN_ENV = 'MEMSTRATE_ERRORS_TEST_SEMANTIC_TOKEN';

/** The gateways the `http` semantic backends of these tests talk to (stopped after each test). */
const semanticGateways: TestGateway[] = [];
afterEach(async () => {
  for (const g of semanticGateways.splice(0)) await g.stop().catch(() => {});
});

/**
 * A gateway whose substrate keeps its semantic memory on a second real gateway
 * (`semantic_backend = "http"`, token from the environment). `rotateToken` restarts that second
 * gateway on the same port and store with another token; `stopSemantic` takes it away.
 */
async function relayedGateway(): Promise<{ gw: GatewayUnderTest; url: string; rotateToken(): Promise<void>; stopSemantic(): Promise<void> }> {
  const dir = tempDir();
  const config = { sqlitePath: join(dir, 'semantic.db'), auditAnchorPath: join(dir, 'semantic.db.audit-anchor') };
  const token = randomBytes(18).toString('base64url');
  let semantic = new TestGateway(config, token);
  semanticGateways.push(semantic);
  await semantic.start();
  const gw = await startGateway({ config: { semanticBackend: 'http', httpUrl: semantic.url, httpTokenEnv: TOKEN_ENV }, env: { [TOKEN_ENV]: token } });
  return {
    gw,
    url: semantic.url,
    async rotateToken() {
      const port = semantic.port;
      await semantic.stop();
      semantic = new TestGateway(config, randomBytes(18).toString('base64url'));
      semantic.port = port;
      semanticGateways.push(semantic);
      await semantic.start();
    },
    stopSemantic: () => semantic.stop(),
  };
}

/** What a case's real failure sent, and what its body must say. */
interface Produced {
  res: Reply;
  /** The exact `error.message` of the body. */
  message: string;
  /** CONFIG_INVALID: the body's `problems`. */
  problems?: string[];
  /** CHAIN_INTEGRITY: the first bad seq. */
  seq?: number;
}

interface Case {
  code: MemoryErrorCode;
  /** Where the error comes from (part of the title). */
  source: string;
  status: number;
  Class: new (...args: never[]) => MemoryError;
  produce(): Promise<Produced>;
}

const CASES: Case[] = [
  {
    code: 'VALIDATION',
    source: 'the SQLite semantic store refuses an empty scope',
    status: 400,
    Class: ValidationError,
    async produce() {
      const gw = await startGateway();
      const res = await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'x', scope: '' });
      return { res, message: '[memstrate:sqlite] scope must not be empty' };
    },
  },
  {
    code: 'CONFIG_INVALID',
    source: 'the http semantic backend\'s gateway rotated its token',
    status: 400,
    Class: ConfigError,
    async produce() {
      const relay = await relayedGateway();
      await relay.rotateToken();
      const res = await relay.gw.call('GET', `/v1/memories/${MISSING_ID}`);
      const problem = `the gateway rejected the bearer token (HTTP 401): invalid bearer token (gateway ${relay.url}/, GET /v1/memories/${MISSING_ID}, HTTP 401)`;
      return { res, message: `[memstrate:http] invalid configuration:\n  - ${problem}`, problems: [problem] };
    },
  },
  {
    code: 'NOT_FOUND',
    source: 'the SQLite task queue has no such task',
    status: 404,
    Class: NotFoundError,
    async produce() {
      const gw = await startGateway();
      const res = await gw.call('POST', `/v1/tasks/${MISSING_ID}/complete`, { token: 'any', result: null });
      return { res, message: `[memstrate:sqlite] task ${MISSING_ID} does not exist` };
    },
  },
  {
    code: 'CONFLICT',
    source: 'the SQLite session store already has the label',
    status: 409,
    Class: ConflictError,
    async produce() {
      const gw = await startGateway();
      expect((await gw.call('POST', '/v1/sessions', { agentId: 'a', label: 'main' })).status).toBe(201);
      const res = await gw.call('POST', '/v1/sessions', { agentId: 'a', label: 'main' });
      return { res, message: '[memstrate:sqlite] agent a already has a session labelled "main"' };
    },
  },
  {
    code: 'LEASE_LOST',
    source: 'a stale lease token on the SQLite task queue',
    status: 409,
    Class: LeaseLostError,
    async produce() {
      const gw = await startGateway();
      const task = await gw.call('POST', '/v1/tasks', { title: 't' });
      expect((await gw.call('POST', '/v1/tasks/claim', { agentId: 'w' })).body).toMatchObject({ task: { id: task.body.id } });
      const res = await gw.call('POST', `/v1/tasks/${task.body.id}/complete`, { token: 'stale', result: null });
      return {
        res,
        message: `[memstrate:sqlite] cannot complete task ${task.body.id}: the lease was lost (stale token, expired lease, or task not in progress)`,
      };
    },
  },
  {
    code: 'CHAIN_INTEGRITY',
    source: 'audit entry 7 forged in the SQLite file',
    status: 422,
    Class: ChainIntegrityError,
    async produce() {
      const gw = await startGateway();
      for (let i = 0; i < 9; i++) await gw.mem.set('a', `k${i}`, i);
      const db = new Database(gw.config.sqlitePath as string);
      try {
        expect(db.prepare(`update audit_entries set detail = 'forged' where seq = 7`).run().changes).toBe(1);
      } finally {
        db.close();
      }
      const res = await gw.call('GET', '/v1/audit/verify');
      return { res, message: '[memstrate:sqlite] audit chain broken at seq 7: hash does not match the entry (edited, or the wrong audit key)', seq: 7 };
    },
  },
  {
    // A semantic backend without the SPI's optional exportRows / importRows (a plugin of its own):
    // the gateway's POST /v1/memories/export answers NOT_SUPPORTED.
    code: 'NOT_SUPPORTED',
    source: 'POST /v1/memories/export on a semantic backend without export / import',
    status: 501,
    Class: NotSupportedError,
    async produce() {
      const backends = new BackendRegistry();
      for (const definition of registeredBackends()) backends.register(definition);
      const semantic = jsonfileBackend.semantic as NonNullable<typeof jsonfileBackend.semantic>;
      backends.register({
        ...jsonfileBackend,
        name: 'noarchive',
        semantic: {
          ...semantic,
          open: async (options, ctx) => {
            const backend = await semantic.open(options, ctx);
            return new Proxy(backend, { get: (target, key) => (key === 'exportRows' || key === 'importRows' ? undefined : Reflect.get(target, key, target)) });
          },
        },
      });
      const gw = await startGateway({ backends, config: { semanticBackend: 'noarchive', noarchive: { path: join(tempDir(), 'memories.json') } } as never });
      const res = await gw.call('POST', '/v1/memories/export', { limit: 10 });
      return { res, message: '[memstrate:gateway] the noarchive semantic backend offers no export / import of memories' };
    },
  },
  {
    code: 'BACKEND_UNAVAILABLE',
    source: 'the substrate was closed',
    status: 503,
    Class: BackendUnavailableError,
    async produce() {
      const gw = await startGateway();
      await gw.mem.close();
      const res = await gw.call('GET', `/v1/memories/${MISSING_ID}`);
      return { res, message: '[memstrate:sqlite] get memory failed: the substrate is closed' };
    },
  },
  {
    code: 'BACKEND_UNAVAILABLE',
    source: 'the http semantic backend\'s gateway went away',
    status: 503,
    Class: BackendUnavailableError,
    async produce() {
      const relay = await relayedGateway();
      await relay.stopSemantic();
      const res = await relay.gw.call('GET', `/v1/memories/${MISSING_ID}`);
      return { res, message: `[memstrate:http] cannot reach the gateway at ${relay.url}/ (GET /v1/memories/${MISSING_ID}): ECONNREFUSED` };
    },
  },
  {
    code: 'INTERNAL',
    source: 'a SQLite graph whose relation was re-pointed at another agent\'s entity',
    status: 500,
    Class: InternalError,
    async produce() {
      const gw = await startGateway();
      const [from, to] = [await gw.mem.addEntity({ agentId: 'a', name: 'from', entityType: 'concept' }), await gw.mem.addEntity({ agentId: 'a', name: 'to', entityType: 'concept' })];
      const foreign = await gw.mem.addEntity({ agentId: 'b', name: 'foreign', entityType: 'concept' });
      await gw.mem.addRelation({ agentId: 'a', source: from, relation: 'related_to', target: to });
      const db = new Database(gw.config.sqlitePath as string);
      try {
        expect(db.prepare('update relations set target_entity = ? where target_entity = ?').run(foreign, to).changes).toBe(1);
      } finally {
        db.close();
      }
      const res = await gw.call('POST', '/v1/graph/query', { agentId: 'a' });
      return { res, message: "[memstrate:sqlite] graph of agent a links to another agent's data" };
    },
  },
];

describe('error codes over the wire', () => {
  it('the table covers every MemoryError code, and every code has a case', () => {
    expect(Object.keys(STATUS_BY_CODE).sort()).toEqual([...new Set(CASES.map((c) => c.code))].sort());
    for (const c of CASES) expect(STATUS_BY_CODE[c.code]).toBe(c.status);
  });

  for (const { code, source, status, Class, produce } of CASES) {
    it(`${code} (${source}) → HTTP ${status} → ${Class.name} again`, async () => {
      const { res, message, problems, seq } = await produce();
      expect(res.status).toBe(status);
      expect(res.body.error).toMatchObject({ code, message });
      expect(res.text).not.toMatch(/\n\s+at /);

      const back = errorFromWire(res.status, res.body, { backend: 'http' });
      expect(back).toBeInstanceOf(Class);
      expect(back.code).toBe(code);
      expect(back.backend).toBe('http');
      if (seq !== undefined) expect((back as ChainIntegrityError).seq).toBe(seq);
      if (problems !== undefined) {
        expect(res.body.error.problems).toEqual(problems);
        expect((back as ConfigError).problems).toEqual(problems);
      }
    });
  }

  it('a non-MemoryError is a bare INTERNAL 500: no message, stack or secret leaks', async () => {
    // A memory whose metadata column no longer holds JSON: reading it back throws the parser's own
    // SyntaxError, whose message quotes the column — here a secret.
    const gw = await startGateway();
    const id = await gw.mem.remember({ agentId: 'a', content: 'the kestrel hovers' });
    const db = new Database(gw.config.sqlitePath as string);
    try {
      expect(db.prepare('update memories set metadata = ? where id = ?').run(SECRET, id).changes).toBe(1);
    } finally {
      db.close();
    }
    const thrown = await gw.mem.recall({ agentId: 'a', text: 'kestrel' }).catch((e: unknown) => e);
    // The premise: the substrate really lets a non-MemoryError out here, and its message holds the secret.
    expect(MemoryError.is(thrown), 'a corrupt metadata column no longer surfaces as a non-MemoryError: find another real source').toBe(false);
    expect((thrown as Error).message).toContain(SECRET);

    const res = await gw.call('POST', '/v1/memories/recall', { agentId: 'a', text: 'kestrel' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(res.text).not.toContain(SECRET);
  });

  it('rebuilds errors from bodies that are not ours by their status', () => {
    expect(errorFromWire(502, '<html>bad gateway</html>')).toBeInstanceOf(BackendUnavailableError);
    expect(errorFromWire(504, undefined).code).toBe('BACKEND_UNAVAILABLE');
    expect(errorFromWire(401, { error: { code: 'UNAUTHORIZED', message: 'missing bearer token' } }).code).toBe('CONFIG_INVALID');
    expect(errorFromWire(413, { error: { code: 'PAYLOAD_TOO_LARGE', message: 'too big' } }).code).toBe('VALIDATION');
    const rebuilt = errorFromWire(404, JSON.stringify({ error: { code: 'NOT_FOUND', message: '[memstrate:sqlite] no memory x' } }), { backend: 'http' });
    expect(rebuilt).toBeInstanceOf(NotFoundError);
    expect(rebuilt.message).toBe('[memstrate:http] no memory x');
  });

  it('real store errors keep their codes: VALIDATION, NOT_FOUND, CONFLICT, LEASE_LOST, CHAIN_INTEGRITY', async () => {
    const gw = await startGateway();
    const bad = await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'x', confidence: 2, source: 'rumour' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION');
    expect(bad.body.error.problems).toEqual([expect.stringContaining('body.source'), expect.stringContaining('body.confidence')]);
    // The store's own validation (not the schema) also maps to 400.
    const storeBad = await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'x', scope: '' });
    expect(storeBad.status).toBe(400);
    expect(storeBad.body.error.code).toBe('VALIDATION');

    expect((await gw.call('GET', `/v1/memories/${MISSING_ID}`)).body.error.code).toBe('NOT_FOUND');
    expect((await gw.call('PUT', `/v1/memories/${MISSING_ID}/embedding`, { embedding: [1, 0] })).status).toBe(404);

    expect((await gw.call('POST', '/v1/sessions', { agentId: 'a', label: 'main' })).status).toBe(201);
    const dup = await gw.call('POST', '/v1/sessions', { agentId: 'a', label: 'main' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('CONFLICT');

    const task = await gw.call('POST', '/v1/tasks', { title: 't' });
    await gw.call('POST', '/v1/tasks/claim', { agentId: 'w' });
    const lost = await gw.call('POST', `/v1/tasks/${task.body.id}/complete`, { token: 'stale', result: null });
    expect(lost.status).toBe(409);
    expect(lost.body.error.code).toBe('LEASE_LOST');

    const db = new Database(gw.config.sqlitePath as string);
    db.prepare(`update audit_entries set detail = 'forged' where seq = 1`).run();
    db.close();
    const broken = await gw.call('GET', '/v1/audit/verify');
    expect(broken.status).toBe(422);
    expect(broken.body.error).toMatchObject({ code: 'CHAIN_INTEGRITY', seq: 1 });
  });

  it('a body over the limit is 413 PAYLOAD_TOO_LARGE and writes nothing', async () => {
    const gw = await startGateway({ bodyLimit: 4096 });
    const res = await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'y'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const small = await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'y'.repeat(100) });
    expect(small.status).toBe(201);
    expect(await gw.mem.audit.tip()).toMatchObject({ seq: 1 });
  });

  it('malformed requests, unknown routes and limits', async () => {
    const gw = await startGateway();
    const json = await gw.call('POST', '/v1/memories', '{"agentId": "a", ');
    expect(json.status).toBe(400);
    expect(json.body.error.code).toBe('VALIDATION');
    const media = await gw.call('POST', '/v1/memories', 'agentId=a', { headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(media.status).toBe(415);
    expect(media.body.error.code).toBe('VALIDATION');

    const deep = await gw.call('POST', '/v1/memories', `{"agentId":"a","content":"x","metadata":{"k":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`);
    expect(deep.status).toBe(400);
    expect(deep.body.error.code).toBe('VALIDATION');

    const unknown = await gw.call('GET', '/v1/nothing-here?token=abc');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    expect(unknown.text).not.toContain('abc');

    expect((await gw.call('POST', '/v1/memories/recall', { agentId: 'a', text: 'x', limit: 1001 })).status).toBe(400);
    expect((await gw.call('POST', '/v1/memories', { agentId: 'a', content: 'x', embedding: new Array(16_001).fill(0.1) })).status).toBe(400);
    expect((await gw.call('GET', '/v1/tasks?limit=10001')).status).toBe(400);
    expect((await gw.call('GET', '/v1/audit/entries?limit=abc')).status).toBe(400);
    expect((await gw.call('GET', '/v1/usage/summary?agent_id=typo')).status).toBe(400);
  });
});
