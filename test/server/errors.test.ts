import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
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
  type MemoryErrorCode,
  type MemorySubstrate,
} from '../../src/index.js';
import { errorFromWire, STATUS_BY_CODE } from '../../src/wire/errors.js';
import { startGateway } from './fixture.js';

const SECRET = 'hunter2-very-secret';

/** One error of each code, and the status the wire table gives it. */
const CASES: [MemoryErrorCode, () => MemoryError, number, new (...args: never[]) => MemoryError][] = [
  ['VALIDATION', () => new ValidationError('bad input', { backend: 'sqlite' }), 400, ValidationError],
  ['CONFIG_INVALID', () => new ConfigError(['one problem', 'another problem']), 400, ConfigError],
  ['NOT_FOUND', () => new NotFoundError('no such thing'), 404, NotFoundError],
  ['CONFLICT', () => new ConflictError('label taken'), 409, ConflictError],
  ['LEASE_LOST', () => new LeaseLostError('stale token'), 409, LeaseLostError],
  ['CHAIN_INTEGRITY', () => new ChainIntegrityError(7, 'hash mismatch'), 422, ChainIntegrityError],
  ['NOT_SUPPORTED', () => new NotSupportedError('not here'), 501, NotSupportedError],
  ['BACKEND_UNAVAILABLE', () => new BackendUnavailableError('database down'), 503, BackendUnavailableError],
  ['INTERNAL', () => new InternalError('bug'), 500, InternalError],
];

/** A substrate whose memory lookup throws `error`. */
function throwing(error: unknown): MemorySubstrate {
  return {
    semantic: {
      get: async () => {
        throw error;
      },
    },
  } as unknown as MemorySubstrate;
}

describe('error codes over the wire', () => {
  it('the table covers every MemoryError code', () => {
    expect(Object.keys(STATUS_BY_CODE).sort()).toEqual(CASES.map(([code]) => code).sort());
  });

  for (const [code, make, status, Class] of CASES) {
    it(`${code} → HTTP ${status} → ${Class.name} again`, async () => {
      const error = make();
      const gw = await startGateway({ substrate: throwing(error) });
      const res = await gw.call('GET', '/v1/memories/some-id');
      expect(res.status).toBe(status);
      expect(res.body.error).toMatchObject({ code, message: error.message });
      expect(res.text).not.toMatch(/\n\s+at /);

      const back = errorFromWire(res.status, res.body, { backend: 'http' });
      expect(back).toBeInstanceOf(Class);
      expect(back.code).toBe(code);
      expect(back.backend).toBe('http');
      if (error instanceof ChainIntegrityError) expect((back as ChainIntegrityError).seq).toBe(7);
      if (error instanceof ConfigError) expect((back as ConfigError).problems).toEqual(['one problem', 'another problem']);
    });
  }

  it('a non-MemoryError is a bare INTERNAL 500: no message, stack or secret leaks', async () => {
    const gw = await startGateway({ substrate: throwing(new Error(`connect failed: postgres://u:${SECRET}@db/x`)) });
    const res = await gw.call('GET', '/v1/memories/some-id');
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

    expect((await gw.call('GET', '/v1/memories/0190f0f0-0000-7000-8000-000000000000')).body.error.code).toBe('NOT_FOUND');
    expect((await gw.call('PUT', '/v1/memories/0190f0f0-0000-7000-8000-000000000000/embedding', { embedding: [1, 0] })).status).toBe(404);

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
