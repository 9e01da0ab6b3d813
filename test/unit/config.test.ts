import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, MemorySubstrate, registeredBackends, type MemoryConfig } from '../../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'memstrate-config-'));
  dirs.push(dir);
  return dir;
}

function tomlFile(text: string): string {
  const path = join(tempDir(), 'memory.config.toml');
  writeFileSync(path, text);
  return path;
}

/** The ConfigError a promise rejects with (fails the test if it resolves or throws anything else). */
async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
  return error as ConfigError;
}

const DEFAULTS: MemoryConfig = {
  backend: 'sqlite',
  semanticBackend: 'sqlite',
  embeddingProvider: 'none',
  decayRate: 0.1,
  consolidationIntervalHours: 24,
  durability: 'normal',
  auditAnchorPath: './data/memstrate.db.audit-anchor',
  backendOptions: { sqlite: { path: './data/memstrate.db', readWorkers: 2, vectorSearch: 'auto', approximateMinRows: 100_000, approximateProbeFactor: 3 } },
};

describe('loadConfig: sources and defaults', () => {
  it('applies every default when given nothing', async () => {
    const config = await loadConfig(undefined, { env: {} });
    expect(config).toEqual(DEFAULTS);
    for (const key of ['embeddingModel', 'embeddingUrl', 'embeddingApiKeyEnv', 'embeddingDimensions', 'auditKeyEnv'] as const) {
      expect(config[key]).toBeUndefined();
    }
  });

  it('applies every default to an empty object and to a file with an empty [memory] table', async () => {
    await expect(loadConfig({}, { env: {} })).resolves.toEqual(DEFAULTS);
    await expect(loadConfig(tomlFile('[memory]\n'), { env: {} })).resolves.toEqual(DEFAULTS);
    await expect(loadConfig(tomlFile('# nothing\n'), { env: {} })).resolves.toEqual(DEFAULTS);
  });

  it('reads the snake_case keys of a TOML [memory] table, flat built-in keys included', async () => {
    const path = tomlFile(`
[memory]
backend = "sqlite"
semantic_backend = "qdrant"
sqlite_path = "/var/lib/memstrate/mem.db"
qdrant_url = "http://qdrant:6333"
qdrant_api_key_env = "QDRANT_KEY"
qdrant_collection = "my_memories"
embedding_provider = "openai"
embedding_model = "text-embedding-3-small"
embedding_url = "http://localhost:11434/v1"
embedding_api_key_env = "EMBED_KEY"
embedding_dimensions = 512
decay_rate = 0.25
consolidation_interval_hours = 6
audit_key_env = "AUDIT_KEY"
audit_anchor_path = "/var/lib/memstrate/anchor"
postgres_pool_size = 20
postgres_schema = "mem"
`);
    const config = await loadConfig(path, { env: {} });
    expect(config).toEqual({
      ...DEFAULTS,
      semanticBackend: 'qdrant',
      backendOptions: {
        sqlite: { path: '/var/lib/memstrate/mem.db', readWorkers: 2, vectorSearch: 'auto', approximateMinRows: 100_000, approximateProbeFactor: 3 },
        qdrant: { url: 'http://qdrant:6333', apiKeyEnv: 'QDRANT_KEY', collection: 'my_memories', timeoutMs: 30_000 },
        postgres: { poolSize: 20, schema: 'mem', hnswM: 16, hnswEfConstruction: 64, hnswEfSearch: 100 },
      },
      embeddingProvider: 'openai',
      embeddingModel: 'text-embedding-3-small',
      embeddingUrl: 'http://localhost:11434/v1',
      embeddingApiKeyEnv: 'EMBED_KEY',
      embeddingDimensions: 512,
      decayRate: 0.25,
      consolidationIntervalHours: 6,
      auditKeyEnv: 'AUDIT_KEY',
      auditAnchorPath: '/var/lib/memstrate/anchor',
    });
  });

  it('reads a [memory.<backend>] table per backend (snake_case in TOML, camelCase in objects)', async () => {
    const path = tomlFile(`
[memory]
backend = "postgres"
semantic_backend = "http"

[memory.postgres]
url = "postgres://db:5432/mem"
pool_size = 4
schema = "tenant_1"
hnsw_ef_search = 40

[memory.http]
url = "http://gateway:8787"
token_env = "GATEWAY_TOKEN"
`);
    const config = await loadConfig(path, { env: {} });
    expect(config.backendOptions).toEqual({
      postgres: { url: 'postgres://db:5432/mem', poolSize: 4, schema: 'tenant_1', hnswM: 16, hnswEfConstruction: 64, hnswEfSearch: 40 },
      http: { url: 'http://gateway:8787', tokenEnv: 'GATEWAY_TOKEN' },
    });
    const fromObject = await loadConfig(
      { backend: 'postgres', semanticBackend: 'http', postgres: { url: 'postgres://db:5432/mem', poolSize: 4, schema: 'tenant_1', hnswEfSearch: 40 }, http: { url: 'http://gateway:8787', tokenEnv: 'GATEWAY_TOKEN' } },
      { env: {} },
    );
    expect(fromObject).toEqual(config);
  });

  it('a backend table with an unknown option, a bad value or a missing required option lists every problem', async () => {
    const path = tomlFile(`
[memory]
backend = "postgres"

[memory.postgres]
pool_size = 0
colour = "blue"
`);
    const error = await configError(loadConfig(path, { env: {} }));
    // pool_size, colour, and the URL twice: needed both as the main and (semantic follows) the semantic backend
    expect(error.problems).toHaveLength(4);
    expect(error.problems.join('\n')).toContain('memory.postgres.pool_size');
    expect(error.problems.join('\n')).toContain('postgres.colour: unknown key');
    expect(error.problems.join('\n')).toContain('postgres.url (postgres_url): required');
  });

  it('a table for an unregistered backend, or a flat key and its table option both set, is CONFIG_INVALID', async () => {
    const unknown = await configError(loadConfig({ pinecone: { url: 'http://x' } } as never, { env: {} }));
    expect(unknown.problems[0]).toMatch(/no backend named "pinecone" is registered \(registered: sqlite, postgres, http, qdrant\)/);
    const twice = await configError(loadConfig({ sqlitePath: '/a.db', sqlite: { path: '/b.db' } }, { env: {} }));
    expect(twice.problems[0]).toMatch(/set the same option \(sqlite\.path\)/);
  });

  it('an unknown backend name is CONFIG_INVALID listing the registered ones of that kind', async () => {
    const main = await configError(loadConfig({ backend: 'mysql' }, { env: {} }));
    expect(main.problems).toEqual(['backend: unknown main backend "mysql"; registered main backends: "sqlite", "postgres"']);
    const semantic = await configError(loadConfig({ semanticBackend: 'pinecone' }, { env: {} }));
    expect(semantic.problems).toEqual(['semanticBackend: unknown semantic backend "pinecone"; registered semantic backends: "sqlite", "postgres", "http", "qdrant"']);
    // http has no main facet
    await configError(loadConfig({ backend: 'http' }, { env: {} }));
  });

  it('takes a camelCase object', async () => {
    const config = await loadConfig({ sqlitePath: ':memory:', embeddingProvider: 'hash', embeddingDimensions: 64, decayRate: 0 }, { env: {} });
    expect(config).toMatchObject({ backendOptions: { sqlite: { path: ':memory:' } }, embeddingProvider: 'hash', embeddingDimensions: 64, decayRate: 0 });
    // no anchor file for an in-memory database
    expect(config.auditAnchorPath).toBeUndefined();
  });

  it('puts the audit anchor beside the SQLite file, or under ./data per PostgreSQL database and schema', async () => {
    await expect(loadConfig({ sqlitePath: '/x/y.db' }, { env: {} })).resolves.toMatchObject({ auditAnchorPath: '/x/y.db.audit-anchor' });
    const pg = await loadConfig({ backend: 'postgres', postgresUrl: 'postgres://localhost/db' }, { env: {} });
    expect(pg.auditAnchorPath).toBe(join('.', 'data', 'memstrate-db-public.audit-anchor'));
    const other = await loadConfig({ backend: 'postgres', postgresUrl: 'postgres://localhost/db', postgresSchema: 'tenant_2' }, { env: {} });
    expect(other.auditAnchorPath).toBe(join('.', 'data', 'memstrate-db-tenant_2.audit-anchor'));
  });

  it('accepts a [server] table beside [memory]', async () => {
    const path = tomlFile('[memory]\ndecay_rate = 0.2\n\n[server]\nport = 8787\n');
    await expect(loadConfig(path, { env: {} })).resolves.toMatchObject({ decayRate: 0.2 });
  });

  it('a missing file or invalid TOML is CONFIG_INVALID', async () => {
    await configError(loadConfig(join(tempDir(), 'nope.toml'), { env: {} }));
    await configError(loadConfig(tomlFile('[memory\nbackend = '), { env: {} }));
    await configError(loadConfig(tomlFile('memory = 3\n'), { env: {} }));
  });

  it('a source that is neither a path nor an object is CONFIG_INVALID', async () => {
    await configError(loadConfig([] as never, { env: {} }));
    await configError(loadConfig(42 as never, { env: {} }));
  });
});

describe('loadConfig: MEMSTRATE_* environment overrides', () => {
  it('override the file and the object, coercing numbers', async () => {
    const path = tomlFile('[memory]\nsqlite_path = "/from/file.db"\ndecay_rate = 0.3\npostgres_pool_size = 5\n');
    const env = {
      MEMSTRATE_SQLITE_PATH: '/from/env.db',
      MEMSTRATE_DECAY_RATE: '0.5',
      MEMSTRATE_POSTGRES_POOL_SIZE: ' 25 ',
      MEMSTRATE_CONSOLIDATION_INTERVAL_HOURS: '1.5',
      MEMSTRATE_EMBEDDING_PROVIDER: 'hash',
      MEMSTRATE_EMBEDDING_DIMENSIONS: '128',
    };
    const fromFile = await loadConfig(path, { env });
    expect(fromFile).toMatchObject({
      backendOptions: { sqlite: { path: '/from/env.db', readWorkers: 2, vectorSearch: 'auto', approximateMinRows: 100_000, approximateProbeFactor: 3 }, postgres: { poolSize: 25 } },
      decayRate: 0.5,
      consolidationIntervalHours: 1.5,
      embeddingProvider: 'hash',
      embeddingDimensions: 128,
    });
    const fromObject = await loadConfig({ sqlitePath: '/from/object.db', decayRate: 0.9 }, { env });
    expect(fromObject).toMatchObject({ backendOptions: { sqlite: { path: '/from/env.db' } }, decayRate: 0.5 });
    // MEMSTRATE_<BACKEND>_<OPTION> reaches any backend's table; the legacy flat variable names still work.
    const tables = await loadConfig(undefined, {
      env: { MEMSTRATE_SEMANTIC_BACKEND: 'http', MEMSTRATE_HTTP_URL: 'http://gw:1', MEMSTRATE_HTTP_TOKEN_ENV: 'TOK', MEMSTRATE_SEMANTIC_POSTGRES_URL: 'postgres://v/db' },
    });
    expect(tables.backendOptions).toMatchObject({ http: { url: 'http://gw:1', tokenEnv: 'TOK' }, postgres: { semanticUrl: 'postgres://v/db' } });
  });

  it('MEMSTRATE_BACKEND and MEMSTRATE_POSTGRES_URL select postgres (semantic follows)', async () => {
    const config = await loadConfig(undefined, { env: { MEMSTRATE_BACKEND: 'postgres', MEMSTRATE_POSTGRES_URL: 'postgres://db:5432/mem' } });
    expect(config).toMatchObject({ backend: 'postgres', semanticBackend: 'postgres', backendOptions: { postgres: { url: 'postgres://db:5432/mem' } } });
  });

  it('ignores variables outside the MEMSTRATE_ namespace; an unknown MEMSTRATE_ one is an error', async () => {
    await expect(loadConfig(undefined, { env: { COLOUR: 'blue', PATH: '/bin' } })).resolves.toEqual(DEFAULTS);
    await expect(loadConfig(undefined, { env: { MEMSTRATE_COLOUR: 'blue' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('a bad number is CONFIG_INVALID naming the variable; every bad one is listed', async () => {
    const error = await configError(
      loadConfig(undefined, { env: { MEMSTRATE_DECAY_RATE: 'fast', MEMSTRATE_POSTGRES_POOL_SIZE: '', MEMSTRATE_EMBEDDING_DIMENSIONS: '1e9' } }),
    );
    expect(error.problems).toHaveLength(3);
    expect(error.problems.some((p) => p.includes('MEMSTRATE_DECAY_RATE'))).toBe(true);
  });

  it('a non-integer pool size from the environment is CONFIG_INVALID', async () => {
    await configError(loadConfig(undefined, { env: { MEMSTRATE_POSTGRES_POOL_SIZE: '2.5' } }));
  });

  it('an unknown enum value from the environment is CONFIG_INVALID', async () => {
    await configError(loadConfig(undefined, { env: { MEMSTRATE_BACKEND: 'mysql' } }));
  });
});

describe('loadConfig: validation', () => {
  it('reports an unknown key, an unknown enum value, an out-of-range pool size and an unknown table together', async () => {
    const path = tomlFile(`
[memory]
backend = "mysql"
colour = "blue"
postgres_pool_size = 0

[extras]
x = 1
`);
    const error = await configError(loadConfig(path, { env: {} }));
    expect(error.problems).toHaveLength(4);
  });

  it('reports every problem of an object together', async () => {
    const error = await configError(
      loadConfig({ backend: 'mysql', colour: 'blue', postgresPoolSize: 1001, decayRate: -1 } as never, { env: {} }),
    );
    expect(error.problems).toHaveLength(4);
  });

  it('a top-level key outside [memory] is an error', async () => {
    const error = await configError(loadConfig(tomlFile('backend = "sqlite"\n[memory]\n'), { env: {} }));
    expect(error.problems).toHaveLength(1);
  });

  it.each([
    ['postgresPoolSize', 0],
    ['postgresPoolSize', 1001],
    ['postgresPoolSize', 2.5],
    ['decayRate', 1.5],
    ['decayRate', -0.1],
    ['consolidationIntervalHours', -1],
    ['embeddingDimensions', 0],
    ['embeddingDimensions', 16001],
    ['sqlitePath', ''],
    ['postgresSchema', 'drop table; --'],
    ['qdrantCollection', 'bad name'],
    ['qdrantUrl', 'not a url'],
    ['embeddingApiKeyEnv', 'NOT-A-VAR'],
    ['semanticBackend', 'pinecone'],
    ['embeddingProvider', 'cohere'],
    ['decayRate', '0.1'],
  ])('%s = %j is CONFIG_INVALID', async (key, value) => {
    await configError(loadConfig({ [key]: value } as never, { env: {} }));
  });

  it('accepts the range limits', async () => {
    const config = await loadConfig({ postgresPoolSize: 1000, decayRate: 1, consolidationIntervalHours: 0, embeddingDimensions: 16000 }, { env: {} });
    expect(config).toMatchObject({ backendOptions: { postgres: { poolSize: 1000 } }, decayRate: 1, consolidationIntervalHours: 0, embeddingDimensions: 16000 });
  });

  it('semantic_backend follows backend unless set explicitly', async () => {
    const url = 'postgres://localhost:5432/mem';
    await expect(loadConfig({ backend: 'postgres', postgresUrl: url }, { env: {} })).resolves.toMatchObject({ semanticBackend: 'postgres' });
    await expect(loadConfig({ backend: 'sqlite' }, { env: {} })).resolves.toMatchObject({ semanticBackend: 'sqlite' });
    await expect(loadConfig({ backend: 'postgres', postgresUrl: url, semanticBackend: 'sqlite' }, { env: {} })).resolves.toMatchObject({
      semanticBackend: 'sqlite',
    });
    await expect(loadConfig({ backend: 'postgres', postgresUrl: url, semanticBackend: 'qdrant' }, { env: {} })).resolves.toMatchObject({
      semanticBackend: 'qdrant',
    });
  });

  it('postgres_url is required for a postgres backend or semantic backend', async () => {
    await configError(loadConfig({ backend: 'postgres' }, { env: {} }));
    await configError(loadConfig({ semanticBackend: 'postgres' }, { env: {} }));
    await expect(loadConfig({ semanticBackend: 'postgres', postgresUrl: 'postgres://h/db' }, { env: {} })).resolves.toMatchObject({
      backend: 'sqlite',
      semanticBackend: 'postgres',
    });
  });

  it('http_url is required for the http semantic backend', async () => {
    await configError(loadConfig({ semanticBackend: 'http' }, { env: {} }));
    await expect(loadConfig({ semanticBackend: 'http', httpUrl: 'http://127.0.0.1:8787' }, { env: {} })).resolves.toMatchObject({
      semanticBackend: 'http',
      backendOptions: { http: { url: 'http://127.0.0.1:8787' } },
    });
  });

  it('embedding_model is required for openai and refused for none', async () => {
    await configError(loadConfig({ embeddingProvider: 'openai' }, { env: {} }));
    await configError(loadConfig({ embeddingModel: 'text-embedding-3-small' }, { env: {} }));
  });
});

describe('secrets in configuration errors', () => {
  const SECRET = 'S3cret-Passw0rd';

  it('a postgres_url password never appears in a ConfigError message', async () => {
    const url = `postgres://memstrate:${SECRET}@db.example:5432/mem`;
    const cases: (() => Promise<unknown>)[] = [
      // another problem beside a valid URL
      () => loadConfig({ backend: 'postgres', postgresUrl: url, postgresPoolSize: 0 }, { env: {} }),
      // the URL itself is malformed (not absolute)
      () => loadConfig({ backend: 'postgres', postgresUrl: `postgres//memstrate:${SECRET}@db` }, { env: {} }),
      // the URL has the wrong type
      () => loadConfig({ backend: 'postgres', postgresUrl: [url] } as never, { env: {} }),
      // from the environment, malformed
      () => loadConfig(undefined, { env: { MEMSTRATE_BACKEND: 'postgres', MEMSTRATE_POSTGRES_URL: `//memstrate:${SECRET}@db` } }),
      // from a file, with an unknown key beside it
      () => loadConfig(tomlFile(`[memory]\nbackend = "postgres"\npostgres_url = "${url}"\npassword = "${SECRET}"\n`), { env: {} }),
      // from a file that is not valid TOML around the secret
      () => loadConfig(tomlFile(`[memory]\npostgres_url = "${url}\n`), { env: {} }),
      () => loadConfig(tomlFile(`[memory]\npostgres_url = ${SECRET}\n`), { env: {} }),
    ];
    for (const run of cases) {
      const error = await configError(run());
      expect(error.message).not.toContain(SECRET);
      expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
      for (const problem of error.problems) expect(problem).not.toContain(SECRET);
    }
  });

  it('MemorySubstrate.open on a postgres URL never echoes the password', async () => {
    const error = await MemorySubstrate.open({ backend: 'postgres', postgresUrl: `postgres://u:${SECRET}@127.0.0.1:1/db` }, { env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    expect(String((error as Error).message)).not.toContain(SECRET);
  });
});

describe('MemorySubstrate.open with a bad configuration', () => {
  it('throws CONFIG_INVALID and creates no file', async () => {
    const dir = tempDir();
    const sqlitePath = join(dir, 'sub', 'memstrate.db');
    await configError(MemorySubstrate.open({ sqlitePath, decayRate: 2, colour: 'blue' } as never, { env: {} }));
    await configError(MemorySubstrate.open({ sqlitePath }, { env: { MEMSTRATE_DECAY_RATE: 'x' } }));
    const path = join(dir, 'memory.config.toml');
    writeFileSync(path, `[memory]\nsqlite_path = "${sqlitePath}"\nbackend = "oracle"\n`);
    await configError(MemorySubstrate.open(path, { env: {} }));
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['memory.config.toml']);
  });

  it('audit_key_env naming an unset (or empty) variable is CONFIG_INVALID and creates no file', async () => {
    const dir = tempDir();
    const sqlitePath = join(dir, 'memstrate.db');
    await configError(MemorySubstrate.open({ sqlitePath, auditKeyEnv: 'MEMSTRATE_TEST_AUDIT_KEY' }, { env: {} }));
    await configError(MemorySubstrate.open({ sqlitePath, auditKeyEnv: 'MEMSTRATE_TEST_AUDIT_KEY' }, { env: { MEMSTRATE_TEST_AUDIT_KEY: '' } }));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('opens what loadConfig resolved, validating it again (a tampered table is still CONFIG_INVALID)', async () => {
    const config = await loadConfig({ sqlite: { path: ':memory:' }, decayRate: 0.3 }, { env: {} });
    const mem = await MemorySubstrate.open(config, { env: {} });
    try {
      expect(mem.config).toEqual(config);
    } finally {
      await mem.close();
    }
    const tampered = { ...config, backendOptions: { sqlite: { path: ':memory:', colour: 'blue' } } };
    await configError(MemorySubstrate.open(tampered, { env: {} }));
  });

  it('opens when the audit key variable is set', async () => {
    const mem = await MemorySubstrate.open({ sqlitePath: ':memory:', auditKeyEnv: 'K' }, { env: { K: 'a-long-hmac-key' } });
    try {
      expect(mem.config.auditKeyEnv).toBe('K');
    } finally {
      await mem.close();
    }
  });
});

describe('memory.config.toml (the shipped sample)', () => {
  const sample = join(import.meta.dirname, '..', '..', 'memory.config.toml');

  it('loads, and its values are exactly the defaults', async () => {
    await expect(loadConfig(sample, { env: {} })).resolves.toEqual(DEFAULTS);
  });

  it('documents every [memory] key', async () => {
    const { readFileSync } = await import('node:fs');
    const { CONFIG_KEYS } = await import('../../src/config/schema.js');
    const text = readFileSync(sample, 'utf8');
    for (const snake of CONFIG_KEYS.values()) expect(text).toMatch(new RegExp(`^#? ?${snake} = `, 'm'));
  });

  it("documents every built-in backend's table and every option in it", async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(sample, 'utf8');
    for (const definition of registeredBackends()) {
      const table = text.indexOf(`[memory.${definition.name}]`);
      expect(table, `[memory.${definition.name}]`).toBeGreaterThan(0);
      const next = text.indexOf('[', table + 1 + `[memory.${definition.name}]`.length);
      const section = text.slice(table, next < 0 ? undefined : next);
      for (const option of Object.keys(definition.options.shape)) {
        const snake = option.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
        expect(section).toMatch(new RegExp(`^#? ?${snake} = `, 'm'));
      }
    }
  });
});

describe('MEMSTRATE_* variables', () => {
  it('an unknown one is a ConfigError naming the closest variable; tool, test and named secret variables are known', async () => {
    const error = await loadConfig({ sqlitePath: ':memory:' }, { env: { MEMSTRATE_SQLITE_PTH: '/tmp/x.db', MEMSTRATE_DECAY_RATES: '0.1' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((error as { problems: string[] }).problems).toEqual([
      'MEMSTRATE_DECAY_RATES: not a memstrate variable; did you mean MEMSTRATE_DECAY_RATE?',
      'MEMSTRATE_SQLITE_PTH: not a memstrate variable; did you mean MEMSTRATE_SQLITE_PATH?',
    ]);
    await expect(
      loadConfig(
        { sqlitePath: ':memory:', auditKeyEnv: 'MEMSTRATE_AUDIT_SECRET' },
        { env: { MEMSTRATE_AUDIT_SECRET: 'k'.repeat(32), MEMSTRATE_LOG_LEVEL: 'warn', MEMSTRATE_DEBUG: '1', MEMSTRATE_PLUGINS: '', MEMSTRATE_TOKEN: 't', MEMSTRATE_TEST_ANYTHING: 'x', OTHER: 'y' } },
      ),
    ).resolves.toMatchObject({ auditKeyEnv: 'MEMSTRATE_AUDIT_SECRET' });
  });
});
