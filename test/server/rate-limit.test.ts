import { describe, expect, it } from 'vitest';
import { errorFromWire } from '../../src/wire/errors.js';
import { startGateway } from './fixture.js';

describe('[server] rate_limit_per_minute', () => {
  it('answers 429 RATE_LIMITED past the limit, per client (token), never for GET /health', async () => {
    const gw = await startGateway({
      rateLimitPerMinute: 5,
      tokens: [{ name: 'other', token: 'another-client-token', agents: ['*'], scopes: ['read'] }],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await gw.call('GET', '/v1/info')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await gw.call('GET', '/v1/info');
    expect(limited.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(errorFromWire(429, limited.body)).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    // Another client has its own budget; the health check is never limited.
    expect((await gw.call('GET', '/v1/info', undefined, { auth: 'Bearer another-client-token' })).status).toBe(200);
    for (let i = 0; i < 10; i++) expect((await gw.call('GET', '/health', undefined, { auth: false })).status).toBe(200);
  });
});
