import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MemorySubstrate, type MemoryConfigInput } from '../../../src/index.js';
import { createGateway } from '../../../src/server/app.js';
import type { BackendCell, CellInstance, CellOpenOptions } from '../cells.js';
import { semanticCellCapabilities } from '../capabilities.js';
import { dropSchema, freshSchemaName, pgRawSql, TEST_PG_URL } from '../pg-tools.js';
import { PG_UNAVAILABLE } from './postgres-main.js';
import { sqliteRawSql } from './sqlite.js';
import { tempDir } from './sqlite.js';

/** The env var the cells hand the gateway's token through (to the client substrate only). */
export const GATEWAY_TOKEN_ENV = 'MEMSTRATE_TEST_GATEWAY_TOKEN';

/**
 * Config keys that shape semantic memory. A test's values for them go to the gateway's own
 * substrate (where embedding, the vector space and decay really happen) as well as to the client.
 */
const SEMANTIC_KEYS = [
  'embeddingProvider',
  'embeddingModel',
  'embeddingUrl',
  'embeddingApiKeyEnv',
  'embeddingDimensions',
  'decayRate',
  'consolidationIntervalHours',
] as const satisfies readonly (keyof MemoryConfigInput)[];

export function semanticConfig(config: Partial<MemoryConfigInput> | undefined): Partial<MemoryConfigInput> {
  const out: Partial<MemoryConfigInput> = {};
  for (const key of SEMANTIC_KEYS) if (config?.[key] !== undefined) Object.assign(out, { [key]: config[key] });
  return out;
}

type Gateway = ReturnType<typeof createGateway>;

/**
 * A real memstrate gateway in this process: its own substrate (SQLite file in `dir`, or whatever
 * `baseConfig` says) behind createGateway(), listening on 127.0.0.1. `start` takes the port it had
 * before (so clients keep their URL across restarts), port 0 the first time.
 */
export class TestGateway {
  substrate: MemorySubstrate | undefined;
  app: Gateway | undefined;
  port = 0;

  constructor(
    readonly baseConfig: MemoryConfigInput,
    readonly token: string | undefined,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Opens the gateway's substrate with the test's clock, embedder and semantic config, then listens. */
  async start(o: CellOpenOptions = {}): Promise<void> {
    if (this.app) return;
    const substrate = await MemorySubstrate.open({ ...this.baseConfig, ...semanticConfig(o.config) }, {
      clock: o.clock,
      embedder: o.embedder,
      env: o.env ?? {},
    });
    try {
      const app = createGateway(substrate, { token: this.token });
      await listen(app, this.port);
      this.port = (app.server.address() as AddressInfo).port;
      this.substrate = substrate;
      this.app = app;
    } catch (error) {
      await substrate.close().catch(() => {});
      throw error;
    }
  }

  /** Stops listening (in-flight requests finish) and closes the gateway's substrate. Idempotent. */
  async stop(): Promise<void> {
    const { app, substrate } = this;
    this.app = undefined;
    this.substrate = undefined;
    await app?.close();
    await substrate?.close();
  }
}

/** Listens on `port` (0 = any); a port just released can stay busy for a moment, so retry briefly. */
async function listen(app: Gateway, port: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await app.listen({ port, host: '127.0.0.1' });
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EADDRINUSE' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

interface MainSide {
  config: Partial<MemoryConfigInput>;
  rawSql(text: string, params: unknown[]): Promise<unknown[]>;
  cleanup(): Promise<void>;
}

function makeHttpCell(main: 'sqlite' | 'postgres'): BackendCell {
  const mainEngine = main === 'sqlite' ? 'SQLite file (better-sqlite3)' : 'PostgreSQL server (pg pool, own schema)';
  return {
    name: `${main} × http`,
    main,
    semantic: 'http',
    engines: `main: ${mainEngine}; semantic: http client → real in-process memstrate gateway (Fastify, 127.0.0.1) on its own SQLite file (sqlite-vec + BM25 over sorted runs of postings)`,
    capabilities: { rawSql: true, multiProcess: true, sqliteFile: main === 'sqlite', ...semanticCellCapabilities('http') },
    lacking: { vectorSpaceMigration: "the embedder is the gateway's: memstrate reembed runs on the gateway's own store (sqlite × sqlite there)" },
    sharedTransactions: false,
    async open(options = {}) {
      const dir = tempDir();
      const side = main === 'sqlite' ? sqliteMain(dir) : postgresMain(dir);
      const token = randomBytes(24).toString('base64url');
      const gateway = new TestGateway(
        { backend: 'sqlite', semanticBackend: 'sqlite', sqlitePath: join(dir, 'gateway.db'), auditAnchorPath: join(dir, 'gateway.db.audit-anchor') },
        token,
      );
      const cleanup = async (): Promise<void> => {
        await gateway.stop().catch(() => {});
        await side.cleanup().catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      };
      let config: MemoryConfigInput;
      const openClient = (o: CellOpenOptions) =>
        MemorySubstrate.open({ ...config, ...o.config }, { clock: o.clock, embedder: o.embedder, env: { ...o.env, [GATEWAY_TOKEN_ENV]: token } });
      let mem: MemorySubstrate;
      try {
        await gateway.start(options);
        config = {
          ...side.config,
          semanticBackend: 'http',
          httpUrl: gateway.url,
          httpTokenEnv: GATEWAY_TOKEN_ENV,
          auditAnchorPath: join(dir, 'main.audit-anchor'),
          ...options.config,
        };
        mem = await openClient(options);
      } catch (error) {
        await cleanup();
        throw error;
      }
      const instance: CellInstance = {
        get mem() {
          return mem;
        },
        env: { [GATEWAY_TOKEN_ENV]: token },
        get config() {
          return config;
        },
        /** Closes the client, the gateway and its substrate, then opens all three again on the same data and port. */
        async reopen(o = options) {
          await mem.close();
          await gateway.stop();
          await gateway.start(o);
          config.httpUrl = gateway.url;
          mem = await openClient(o);
          return mem;
        },
        rawSql: (text, ...params) => side.rawSql(text, params),
        async dispose() {
          await mem.close().catch(() => {});
          await cleanup();
        },
      };
      return instance;
    },
  };
}

function sqliteMain(dir: string): MainSide {
  const sqlitePath = join(dir, 'main.db');
  return {
    config: { backend: 'sqlite', sqlitePath },
    rawSql: async (text, params) => sqliteRawSql(sqlitePath, text, params),
    cleanup: async () => {},
  };
}

function postgresMain(dir: string): MainSide {
  const schema = freshSchemaName();
  return {
    // sqlitePath is unused (nothing on this side is SQLite) but kept inside the temp dir regardless.
    config: { backend: 'postgres', postgresUrl: TEST_PG_URL, postgresSchema: schema, postgresPoolSize: 4, sqlitePath: join(dir, 'unused.db') },
    rawSql: (text, params) => pgRawSql(schema, text, params),
    cleanup: () => dropSchema(schema),
  };
}

export const sqliteHttp = makeHttpCell('sqlite');
export const postgresHttp = makeHttpCell('postgres');

/** `postgres × http` is listed exactly when the PostgreSQL cells are (required in CI, else when the server answers). */

// Skipped, saying why, where no PostgreSQL server can be had (outside CI).
postgresHttp.unavailable = PG_UNAVAILABLE;
export const HTTP_CELLS: BackendCell[] = [sqliteHttp, postgresHttp];
