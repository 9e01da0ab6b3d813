import { expect, it } from 'vitest';
import { ManualClock } from '../../src/testing/clock.js';
import { startGateway } from './fixture.js';

const A = 'agent-a';

it('POST /v1/memories answers 201 with created: true for a new memory, 200 when a key replaced it or dedupe found it', async () => {
  const gw = await startGateway();
  const made = await gw.call('POST', '/v1/memories', { agentId: A, content: 'first words', key: 'k' });
  expect(made.status).toBe(201);
  expect(made.body).toEqual({ id: made.body.id, created: true, updated: false });
  const replaced = await gw.call('POST', '/v1/memories', { agentId: A, content: 'second words', key: 'k' });
  expect(replaced.status).toBe(200);
  expect(replaced.body).toEqual({ id: made.body.id, created: false, updated: true });
  const got = await gw.call('GET', `/v1/memories/${made.body.id}`);
  expect(got.body).toMatchObject({ content: 'second words', key: 'k' });
  const twin = await gw.call('POST', '/v1/memories', { agentId: A, content: 'second words', dedupe: 'content' });
  expect(twin.status).toBe(200);
  expect(twin.body).toEqual({ id: made.body.id, created: false, updated: false });
  const bad = await gw.call('POST', '/v1/memories', { agentId: A, content: 'x', key: 'k', dedupe: 'content' });
  expect(bad.status).toBe(400);

  const batch = await gw.call('POST', '/v1/memories/batch', { memories: [{ agentId: A, content: 'second words', dedupe: 'content' }, { agentId: A, content: 'third', key: 'k' }] });
  expect(batch.status).toBe(200);
  expect(batch.body).toEqual({ ids: [made.body.id, made.body.id], results: [{ id: made.body.id, created: false, updated: false }, { id: made.body.id, created: false, updated: true }] });
  const fresh = await gw.call('POST', '/v1/memories/batch', { memories: [{ agentId: A, content: 'fourth' }] });
  expect(fresh.status).toBe(201);
});

it('expiry over the gateway: an expired memory is gone from GET at once; POST /v1/memories/purge-expired deletes it and says how many', async () => {
  const clock = new ManualClock();
  const gw = await startGateway({ clock: clock.fn });
  const made = await gw.call('POST', '/v1/memories', { agentId: A, content: 'brief', ttlMs: 1000 });
  expect((await gw.call('GET', `/v1/memories/${made.body.id}`)).body).toMatchObject({ expiresAt: clock.now + 1000 });
  clock.advance(1000);
  expect((await gw.call('GET', `/v1/memories/${made.body.id}`)).status).toBe(404);
  expect((await gw.call('POST', '/v1/memories/purge-expired', {})).body).toEqual({ purged: 1 });
  expect((await gw.call('POST', '/v1/memories/purge-expired', {})).body).toEqual({ purged: 0 });
});
