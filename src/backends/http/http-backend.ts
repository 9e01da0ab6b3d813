import { z } from 'zod';
import type { BackendDefinition } from '../../contracts/backend-plugin.js';
import { envName, url } from '../../config/schema.js';
import { LIMITS } from '../../core/limits.js';
import { openHttpSemanticProvider } from './http-semantic-provider.js';

/** `[memory.http]`: where the gateway is and which variable holds its bearer token. */
export const httpOptions = z.strictObject({
  /** Base URL of the memstrate gateway; required. */
  url: url.optional(),
  /** Environment variable holding the gateway's bearer token. */
  tokenEnv: envName.optional(),
});

/**
 * Semantic memory on a remote memstrate gateway (`memstrate serve`): every call is one request, the
 * gateway's own semantic backend does the work, failures are errors and never a local fallback.
 * The capabilities below are those of a gateway on the embedded default; at open they are refined
 * from what the gateway reports (GET /v1/info).
 */
export const httpBackend: BackendDefinition<typeof httpOptions> = {
  name: 'http',
  description: 'a remote memstrate gateway (memstrate serve) over HTTP',
  options: httpOptions,
  flatKeys: { httpUrl: 'url', httpTokenEnv: 'tokenEnv' },
  semantic: {
    capabilities: {
      vectorSearch: 'exact',
      keywordRanking: 'bm25',
      hybridInEngine: false,
      sharedTransactions: false,
      multiProcess: true,
      maxDimensions: 8192,
      maxBatch: LIMITS.maxBatch,
    },
    check: (options) => (options.url ? [] : ['http.url (http_url): required when semantic_backend is "http"']),
    open: (options, ctx) => openHttpSemanticProvider(options, ctx),
  },
};
