import type { BackendHealth } from '../../contracts/health.js';
import type { ArchivePage, ArchiveRowOutcome, ArchiveWriteOptions } from '../../contracts/archive.js';
import type { VectorSpace } from '../../contracts/semantic-backend.js';
import type { MemoryRecord } from '../../contracts/semantic-store.js';
import type { ProviderArchive, SemanticProvider } from '../../contracts/semantic-provider.js';
import { assertSameSpace } from '../../core/vector-space.js';
import { Validator } from '../../core/validate.js';
import { encodeBody } from './wire-encode.js';
import type { Logger } from '../../contracts/types.js';
import { BackendUnavailableError, ConfigError, MemoryError, NotSupportedError } from '../../errors.js';
import type { BackendContext, SemanticCapabilities } from '../../contracts/backend-plugin.js';
import { GatewayClient, type GatewayClientOptions } from './gateway-client.js';
import { HttpSemanticStore } from './http-semantic-store.js';
import { HTTP_BACKEND, resolveHttpSettings, type HttpSettings } from './http-settings.js';
import { WireDecoder, type GatewayInfo } from './wire-decode.js';

export interface HttpSemanticProviderOptions extends GatewayClientOptions {
  settings: HttpSettings;
  logger?: Logger;
  /**
   * A dimension this side expects (its embedder's, or `embedding_dimensions`); open() refuses a
   * gateway whose fixed vector space has another one.
   */
  expectedDimensions?: number;
}

/** Per-request timeout of the health probe (open and health checks): an unreachable gateway fails fast. */
const OPEN_PROBE_TIMEOUT_MS = 2000;
/** Retries of a failed probe request at open (a gateway that is just restarting). */
const OPEN_PROBE_RETRIES = 1;

/**
 * `semantic_backend = "http"`: semantic memory and consolidation on a remote memstrate gateway.
 * open() checks the gateway first (GET /health, then GET /v1/info with the token) and fails fast;
 * afterwards every failing call throws — there is no local store to fall back to (OpenFang's G-6).
 */
export class HttpSemanticProvider implements SemanticProvider {
  readonly name = HTTP_BACKEND;
  readonly store: HttpSemanticStore;
  readonly consolidation: HttpSemanticStore;
  /** What the gateway's own semantic backend can do, as its GET /v1/info reported it at open. */
  readonly capabilities: Partial<SemanticCapabilities>;
  readonly archive: ProviderArchive;

  private constructor(
    private readonly client: GatewayClient,
    /** What the gateway said about its substrate at open. */
    readonly gateway: GatewayInfo,
  ) {
    this.store = new HttpSemanticStore(client, gateway.embedding.dimensions, { embeddingF32: gateway.wireFeatures.has('embeddingF32') });
    this.consolidation = this.store;
    // Through a gateway, nothing shares a transaction with this side's main store.
    // Re-embedding belongs to the gateway, whose embedder it is: `memstrate reembed` runs there.
    this.capabilities = { ...gateway.semanticCapabilities, sharedTransactions: false, vectorSpaceMigration: false };
    this.archive = new HttpArchive(client);
  }

  /**
   * Connects and probes. BackendUnavailableError (naming `http` and the redacted URL, never the
   * token) when the gateway cannot be reached, times out or answers the health check with an
   * error; ConfigError when it refuses the token (401) or its vector space does not have
   * `expectedDimensions`.
   */
  static async open(options: HttpSemanticProviderOptions): Promise<HttpSemanticProvider> {
    const client = new GatewayClient(options.settings, options.logger, options);
    try {
      const info = await probe(client, OPEN_PROBE_RETRIES);
      const dims = info.embedding.dimensions;
      if (options.expectedDimensions !== undefined && dims !== undefined && dims !== options.expectedDimensions) {
        throw new ConfigError(
          [`the gateway at ${client.where} stores ${dims}-dimensional vectors, but this side is configured for ${options.expectedDimensions}`],
          { backend: HTTP_BACKEND },
        );
      }
      options.logger?.debug({ backend: HTTP_BACKEND, gateway: client.where, info }, 'http semantic backend connected');
      return new HttpSemanticProvider(client, info);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /**
   * The gateway's fixed vector dimension, if known: from GET /v1/info at open, else from the first
   * vector the gateway accepts from (or returns to) this client.
   */
  get dimensions(): number | undefined {
    return this.store.vectorDimensions;
  }

  /** GET /health then GET /v1/info, one attempt each; never throws. */
  async health(): Promise<BackendHealth> {
    const started = performance.now();
    try {
      await probe(this.client, 0);
      return { name: `semantic:${HTTP_BACKEND}`, ok: true, latencyMs: performance.now() - started, detail: this.client.where };
    } catch (error) {
      const detail = MemoryError.is(error) ? error.message : 'health check failed';
      return { name: `semantic:${HTTP_BACKEND}`, ok: false, latencyMs: performance.now() - started, detail };
    }
  }

  /** Refuses new calls, lets in-flight ones finish (bounded), releases the connection pool's requests. Idempotent. */
  close(): Promise<void> {
    return this.client.close();
  }
}

/** The health check: GET /health must answer `{ status: "ok" }`, then GET /v1/info (authenticated). */
async function probe(client: GatewayClient, maxRetries: number): Promise<GatewayInfo> {
  const decode = new WireDecoder(client.where);
  // Bounded well under the client's request timeout: two requests of at most OPEN_PROBE_TIMEOUT_MS
  // each (plus one retry of a failed attempt at open), so an unreachable gateway fails open fast.
  const retry = { maxRetries, timeoutMs: OPEN_PROBE_TIMEOUT_MS };
  try {
    const health = await client.request({ method: 'GET', path: '/health', idempotent: true, auth: false, ...retry });
    if ((health.body as { status?: unknown } | undefined)?.status !== 'ok') {
      throw new BackendUnavailableError(`the gateway at ${client.where} is not healthy (GET /health did not answer {"status":"ok"})`, { backend: HTTP_BACKEND });
    }
    const info = await client.request({ method: 'GET', path: '/v1/info', idempotent: true, ...retry });
    return decode.info(info.body, 'GET /v1/info');
  } catch (error) {
    // A refused token is a configuration problem; anything else means the gateway is not usable.
    if (MemoryError.is(error) && (error.code === 'BACKEND_UNAVAILABLE' || error.code === 'CONFIG_INVALID')) throw error;
    const message = MemoryError.is(error) ? error.message.replace(/^\[memstrate(?::[^\]]*)?\]\s*/, '') : String(error);
    throw new BackendUnavailableError(`health check of the gateway at ${client.where} failed: ${message}`, { backend: HTTP_BACKEND, cause: error });
  }
}

/**
 * Opens the `http` semantic backend from the config: `http_url` (required) and `http_token_env`
 * (the variable holding the bearer token, read from `ctx.env`; set but empty is a ConfigError).
 * Timeouts 10 s per request, 3 retries with backoff for idempotent calls.
 */
export async function openHttpSemanticProvider(options: { url?: string | undefined; tokenEnv?: string | undefined }, ctx: BackendContext): Promise<SemanticProvider> {
  const settings = resolveHttpSettings(options, ctx.env);
  const expectedDimensions = ctx.embedder?.dimensions ?? ctx.settings.embeddingDimensions;
  return HttpSemanticProvider.open({ settings, logger: ctx.logger, ...(expectedDimensions === undefined ? {} : { expectedDimensions }) });
}

/** Rows per POST /v1/memories/import at most (the gateway takes at most 1000). */
const IMPORT_CHUNK = 100;
/** Body bytes per POST /v1/memories/import at most, under the gateway's default 1 MiB body limit (vectors make rows large). */
const IMPORT_BYTES = 512 * 1024;

/**
 * Export / import of memories through the gateway's `/v1/memories/export` and `/v1/memories/import`
 * (admin). An import batch of more than IMPORT_CHUNK rows or IMPORT_BYTES is sent in several requests, each atomic on the
 * gateway's engine; the gateway audits each as `memory.import`. The vector space an import adopts
 * travels with each request and is fixed by the gateway.
 */
class HttpArchive implements ProviderArchive {
  private readonly decode: WireDecoder;
  private adopted: VectorSpace | undefined;
  private readonly v = new Validator(HTTP_BACKEND);

  constructor(private readonly client: GatewayClient) {
    this.decode = new WireDecoder(client.where);
  }

  async exportRows(page: ArchivePage): Promise<{ rows: MemoryRecord[]; cursor: string | undefined }> {
    const label = 'POST /v1/memories/export';
    const limit = Math.min(1000, Math.max(1, Math.trunc(page.limit)));
    const body = { limit, ...(page.cursor === undefined ? {} : { cursor: page.cursor }), ...(page.agentIds === undefined ? {} : { agentIds: [...page.agentIds] }) };
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/export', body: encodeBody('page', body, this.v), idempotent: true });
    const { rows, cursor } = this.decode.exportPage(res.body, page.agentIds, limit, label);
    return { rows, cursor };
  }

  /** The gateway's count (POST /v1/memories/export with `count`); NOT_SUPPORTED when its backend cannot count. */
  async countRows(agentIds: readonly string[] | undefined): Promise<number> {
    const label = 'POST /v1/memories/export';
    const body = { limit: 1, count: true, ...(agentIds === undefined ? {} : { agentIds: [...agentIds] }) };
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/export', body: encodeBody('page', body, this.v), idempotent: true });
    const { total } = this.decode.exportPage(res.body, agentIds, 1, label);
    if (total === undefined) throw new NotSupportedError(`the gateway at ${this.client.where} does not count its memories`, { backend: HTTP_BACKEND });
    return total;
  }

  async vectorSpace(): Promise<VectorSpace | undefined> {
    const res = await this.client.request({ method: 'POST', path: '/v1/memories/export', body: encodeBody('page', { limit: 1, agentIds: [] }, this.v), idempotent: true });
    return this.decode.exportPage(res.body, [], 1, 'POST /v1/memories/export').vectorSpace;
  }

  async adoptVectorSpace(space: VectorSpace): Promise<void> {
    const stored = await this.vectorSpace();
    if (stored) assertSameSpace(stored, space, HTTP_BACKEND);
    this.adopted = space;
  }

  async importRows(rows: readonly MemoryRecord[], options: ArchiveWriteOptions): Promise<ArchiveRowOutcome[]> {
    const label = 'POST /v1/memories/import';
    const outcomes: ArchiveRowOutcome[] = [];
    // Chunks of at most IMPORT_CHUNK rows and about IMPORT_BYTES (a row larger than that goes alone).
    const chunks: MemoryRecord[][] = [];
    let current: MemoryRecord[] = [];
    let bytes = 0;
    for (const row of rows) {
      const size = encodeBody('row', row, this.v).length + 1;
      if (current.length > 0 && (current.length >= IMPORT_CHUNK || bytes + size > IMPORT_BYTES)) {
        chunks.push(current);
        current = [];
        bytes = 0;
      }
      current.push(row);
      bytes += size;
    }
    if (current.length > 0) chunks.push(current);
    for (const chunk of chunks) {
      const body = { rows: chunk, overwrite: options.overwrite, ...(this.adopted ? { vectorSpace: this.adopted } : {}) };
      // Not retried blindly by the client; a re-run of the import finds what a lost answer wrote (`existing`).
      const res = await this.client.request({ method: 'POST', path: '/v1/memories/import', body: encodeBody('rows', body, this.v), idempotent: false });
      outcomes.push(...this.decode.importOutcomes(res.body, chunk.length, label));
    }
    return outcomes;
  }
}
