import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenAiEmbedderOptions } from '../../src/embedders/openai-embedder.js';
import { HashEmbedder, MemorySubstrate, OpenAiEmbedder } from '../../src/index.js';

// ── An OpenAI-compatible embedding server, in process, on a real socket (no mocks) ──

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: { model?: string; input?: string[]; dimensions?: number };
}

type Handler = (req: Received, res: ServerResponse, n: number) => void;

interface FakeServer {
  /** Base URL, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

const servers: FakeServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.close();
});

async function startServer(handler: Handler): Promise<FakeServer> {
  const requests: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const received: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : {} };
      requests.push(received);
      handler(received, res, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeServer = {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(fake);
  return fake;
}

/** A vector that encodes the text: [number in the text, length, 1, 0, 0, …]. */
function fakeVector(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  v[0] = Number(/\d+/.exec(text)?.[0] ?? -1);
  if (dims > 1) v[1] = text.length;
  if (dims > 2) v[2] = 1;
  return v;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers like OpenAI, but lists the embeddings in reverse order (clients must sort by index). */
function embeddings(dims: number): Handler {
  return (req, res) => {
    const input = req.body.input ?? [];
    const data = input.map((text, index) => ({ object: 'embedding', index, embedding: fakeVector(text, dims) })).reverse();
    json(res, 200, { object: 'list', data, model: req.body.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
  };
}

function embedder(server: FakeServer, options: Partial<OpenAiEmbedderOptions> = {}): OpenAiEmbedder {
  return new OpenAiEmbedder({ model: 'test-model', url: server.url, apiKey: undefined, dimensions: 4, retryBaseMs: 1, ...options });
}

describe('OpenAiEmbedder', () => {
  it('posts {model, input} to {url}/embeddings and returns vectors in input order', async () => {
    const server = await startServer(embeddings(4));
    const vectors = await embedder(server).embed(['zero 0', 'one 1', 'two 2']);
    expect(vectors.map((v) => Array.from(v))).toEqual([fakeVector('zero 0', 4), fakeVector('one 1', 4), fakeVector('two 2', 4)]);
    expect(vectors[0]).toBeInstanceOf(Float32Array);
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/embeddings');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.body).toEqual({ model: 'test-model', input: ['zero 0', 'one 1', 'two 2'] });
  });

  it('batches at most 96 inputs per request, in order (200 texts → 3 requests)', async () => {
    const server = await startServer(embeddings(4));
    const texts = Array.from({ length: 200 }, (_, i) => `text ${i}`);
    const vectors = await embedder(server).embed(texts);
    expect(server.requests.map((r) => r.body.input?.length)).toEqual([96, 96, 8]);
    expect(server.requests.flatMap((r) => r.body.input)).toEqual(texts);
    expect(vectors.map((v) => v[0])).toEqual(texts.map((_, i) => i));
  });

  it('sends no request for an empty list', async () => {
    const server = await startServer(embeddings(4));
    await expect(embedder(server).embed([])).resolves.toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('sends Authorization: Bearer <key> when a key is set, and none otherwise', async () => {
    const server = await startServer(embeddings(4));
    await embedder(server, { apiKey: 'sk-test-123' }).embed(['a']);
    await embedder(server).embed(['b']);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-test-123');
    expect(server.requests[1]?.headers.authorization).toBeUndefined();
  });

  it('sends `dimensions` only for text-embedding-3 models', async () => {
    const server = await startServer(embeddings(8));
    await embedder(server, { model: 'text-embedding-3-small', dimensions: 8 }).embed(['a']);
    await embedder(server, { model: 'nomic-embed-text', dimensions: 8 }).embed(['a']);
    expect(server.requests[0]?.body.dimensions).toBe(8);
    expect(server.requests[1]?.body).not.toHaveProperty('dimensions');
  });

  it('retries a 500 and then succeeds', async () => {
    const ok = embeddings(4);
    const server = await startServer((req, res, n) => (n === 1 ? json(res, 500, { error: { message: 'boom' } }) : ok(req, res, n)));
    const vectors = await embedder(server).embed(['x 7']);
    expect(vectors[0]?.[0]).toBe(7);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a 429 and then succeeds', async () => {
    const ok = embeddings(4);
    const server = await startServer((req, res, n) => (n <= 2 ? json(res, 429, { error: { message: 'slow down' } }) : ok(req, res, n)));
    await expect(embedder(server).embed(['x 1'])).resolves.toHaveLength(1);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after 3 retries on a persistent 503 with BACKEND_UNAVAILABLE', async () => {
    const server = await startServer((_req, res) => json(res, 503, { error: { message: 'overloaded' } }));
    const error = await embedder(server).embed(['a']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'embedder:openai' });
    expect(server.requests).toHaveLength(4);
  });

  it('401 fails at once with CONFIG_INVALID, without retrying, and never echoes the key', async () => {
    const key = 'sk-very-secret-key-42';
    // A server that quotes the key back, as OpenAI does ("Incorrect API key provided: sk-...").
    const server = await startServer((req, res) =>
      json(res, 401, { error: { message: `Incorrect API key provided: ${String(req.headers.authorization).slice(7)}` } }),
    );
    const error = await embedder(server, { apiKey: key, apiKeyEnv: 'MY_EMBED_KEY' }).embed(['a']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', backend: 'embedder:openai' });
    expect(server.requests).toHaveLength(1);
    expect(String((error as Error).message)).not.toContain(key);
    expect(String((error as Error).message)).toContain('MY_EMBED_KEY');
  });

  it('a 400 is a VALIDATION error, not retried', async () => {
    const server = await startServer((_req, res) => json(res, 400, { error: { message: 'input too long' } }));
    await expect(embedder(server).embed(['a'])).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(server.requests).toHaveLength(1);
  });

  it('a malformed response is BACKEND_UNAVAILABLE', async () => {
    const cases: ((res: ServerResponse, input: string[]) => void)[] = [
      (res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>proxy error</html>');
      },
      (res) => json(res, 200, { object: 'list' }),
      (res, input) => json(res, 200, { data: input.slice(1).map((t, index) => ({ index, embedding: fakeVector(t, 4) })) }),
      (res, input) => json(res, 200, { data: input.map((t) => ({ index: 0, embedding: fakeVector(t, 4) })) }),
      (res, input) => json(res, 200, { data: input.map((_, index) => ({ index, embedding: [1, 'x', 3, 4] })) }),
      (res, input) => json(res, 200, { data: input.map((_, index) => ({ index, embedding: null })) }),
    ];
    for (const answer of cases) {
      const server = await startServer((req, res) => answer(res, req.body.input ?? []));
      await expect(embedder(server).embed(['a 1', 'b 2'])).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
      expect(server.requests).toHaveLength(1);
    }
  });

  it('vectors of the wrong length are CONFIG_INVALID', async () => {
    const server = await startServer(embeddings(5));
    await expect(embedder(server, { dimensions: 4 }).embed(['a'])).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('times out on a server that never answers, retries, then BACKEND_UNAVAILABLE', async () => {
    const server = await startServer(() => {
      // never answer
    });
    const started = Date.now();
    // 500 ms: ample for a local request to reach the server first, even on a loaded machine.
    const error = await embedder(server, { timeoutMs: 500, maxRetries: 1 }).embed(['a']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'embedder:openai' });
    expect(String((error as Error).message)).toContain('within 500 ms'); // the timeout ended it, not a network error
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5_000); // 2 × 500 ms, far below the 30 s default timeout
  });

  it("honours the caller's abort signal without retrying", async () => {
    const controller = new AbortController();
    // The caller aborts once the request has reached the server, which never answers: only the abort
    // can end the call (long before the default 30 s timeout).
    const server = await startServer(() => controller.abort());
    const started = Date.now();
    const error = await embedder(server).embed(['a'], { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect(String((error as Error).message)).toContain('aborted by the caller');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });

  it('a refused connection is BACKEND_UNAVAILABLE after the retries', async () => {
    const server = await startServer(embeddings(4));
    await server.close();
    const error = await embedder(server, { apiKey: 'sk-abc-secret', maxRetries: 1 }).embed(['a']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BACKEND_UNAVAILABLE', backend: 'embedder:openai' });
    expect(String((error as Error).message)).not.toContain('sk-abc-secret');
  });

  it('credentials in the URL are CONFIG_INVALID, never echoed, and nothing is sent', async () => {
    const server = await startServer(embeddings(4));
    const url = server.url.replace('http://', 'http://user:hunter2-password@');
    const error = await new OpenAiEmbedder({ model: 'm', url, apiKey: undefined, dimensions: 4 }).embed(['a']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', backend: 'embedder:openai' });
    expect(String((error as Error).message)).not.toContain('hunter2-password');
    expect(server.requests).toHaveLength(0);
  });

  it('construction needs no key and no network; a missing key for api.openai.com fails on the first call', async () => {
    const e = new OpenAiEmbedder({ model: 'text-embedding-3-small', url: 'https://api.openai.com/v1', apiKey: undefined, dimensions: 1536, apiKeyEnv: 'OPENAI_API_KEY' });
    expect(e.id).toBe('openai:text-embedding-3-small');
    expect(e.dimensions).toBe(1536);
    const error = await e.embed(['a']).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', backend: 'embedder:openai' });
    expect(String((error as Error).message)).toContain('OPENAI_API_KEY');
  });
});

describe('HashEmbedder', () => {
  const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);
  const norm = (a: Float32Array) => Math.sqrt(cosine(a, a));

  it('is deterministic across instances', async () => {
    const [a] = await new HashEmbedder(64).embed(['The quick brown fox']);
    const [b] = await new HashEmbedder(64).embed(['The quick brown fox']);
    expect(Array.from(a as Float32Array)).toEqual(Array.from(b as Float32Array));
  });

  it('returns unit vectors of the configured dimension (384 by default), even for empty text', async () => {
    expect(new HashEmbedder().dimensions).toBe(384);
    const vectors = await new HashEmbedder(32).embed(['hello world', '', '!!!', 'a much longer sentence about databases']);
    expect(vectors).toHaveLength(4);
    for (const v of vectors) {
      expect(v).toHaveLength(32);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(new HashEmbedder(32).id).toBe('hash:v1:32');
  });

  it('puts similar texts closer than unrelated ones', async () => {
    const e = new HashEmbedder(256);
    const [cat, cat2, revenue] = (await e.embed([
      'the cat sat on the warm mat',
      'a cat was sitting on the mat',
      'quarterly revenue forecast for the finance department',
    ])) as [Float32Array, Float32Array, Float32Array];
    expect(cosine(cat, cat2)).toBeGreaterThan(cosine(cat, revenue));
    expect(cosine(cat, cat2)).toBeGreaterThan(0.3);
  });
});

describe('openai embedder end to end', () => {
  it('MemorySubstrate.open with embedding_provider "openai" embeds remembered text through the server', async () => {
    const server = await startServer(embeddings(8));
    const mem = await MemorySubstrate.open(
      {
        sqlitePath: ':memory:',
        embeddingProvider: 'openai',
        embeddingModel: 'test-model',
        embeddingDimensions: 8,
        embeddingUrl: server.url,
        embeddingApiKeyEnv: 'TEST_KEY',
      },
      { env: { TEST_KEY: 'secret' } },
    );
    try {
      expect(server.requests).toHaveLength(0); // open needs no network
      expect(mem.info.embedding).toMatchObject({ provider: 'openai', model: 'test-model', dimensions: 8 });
      const id = await mem.remember({ agentId: 'agent-1', content: 'remember number 42' });
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.headers.authorization).toBe('Bearer secret');
      expect(server.requests[0]?.body).toEqual({ model: 'test-model', input: ['remember number 42'] });
      const stored = await mem.semantic.get(id);
      expect(stored?.embedding).toHaveLength(8);
      const found = await mem.recall({ agentId: 'agent-1', text: 'number 42', mode: 'vector' });
      expect(found.map((r) => r.memory.id)).toEqual([id]);
      expect(server.requests).toHaveLength(2);
      expect(server.requests[1]?.body.input).toEqual(['number 42']);
    } finally {
      await mem.close();
    }
  });
});
