import type {
  BackendCatalog,
  BackendContext,
  BackendDefinition,
  MainCapabilities,
  OpenedSemantic,
  SemanticCapabilities,
} from '../contracts/backend-plugin.js';
import type { MemoryConfig } from '../config/schema.js';
import type { MainBackend } from '../contracts/main-backend.js';
import type { SemanticProvider } from '../contracts/semantic-provider.js';
import type { SubstrateInfo } from '../contracts/substrate-info.js';
import { LocalSemanticProvider } from '../core/local-semantic-provider.js';
import { ConfigError } from '../errors.js';

/** The capabilities of the opened backends: the declared ones, refined by what the instances report. */
export type OpenedCapabilities = SubstrateInfo['capabilities'];

function definition(catalog: BackendCatalog, name: string, facet: 'main' | 'semantic'): BackendDefinition {
  const found = catalog.get(name);
  if (!found?.[facet]) throw new ConfigError([`no ${facet} backend named "${name}" is registered`]);
  return found;
}

/** Opens (connects, probes, migrates) the configured main backend through its definition. */
export async function openMainBackend(config: MemoryConfig, catalog: BackendCatalog, ctx: BackendContext): Promise<{ main: MainBackend; capabilities: MainCapabilities }> {
  const d = definition(catalog, config.backend, 'main');
  const facet = d.main as NonNullable<BackendDefinition['main']>;
  const main = await facet.open(config.backendOptions[d.name] ?? {}, ctx);
  return { main, capabilities: { ...facet.capabilities } };
}

function isProvider(opened: OpenedSemantic): opened is SemanticProvider {
  return 'store' in opened && 'consolidation' in opened;
}

/**
 * Opens the configured semantic backend. An explicit `semantic_backend` is always honoured (sqlite
 * semantics beside a postgres main backend open the SQLite file: OpenFang's G-10); never a fallback.
 * A backend that returns the SemanticBackend SPI gets core's service (validation, embedding, vector
 * spaces, fusion, consolidation) around it.
 */
export async function openSemanticProvider(
  config: MemoryConfig,
  catalog: BackendCatalog,
  ctx: BackendContext,
  main: MainBackend,
): Promise<{ provider: SemanticProvider; capabilities: SemanticCapabilities }> {
  const d = definition(catalog, config.semanticBackend, 'semantic');
  const facet = d.semantic as NonNullable<BackendDefinition['semantic']>;
  const opened = await facet.open(config.backendOptions[d.name] ?? {}, { ...ctx, main });
  let provider: SemanticProvider;
  if (isProvider(opened)) {
    provider = opened;
  } else {
    try {
      provider = await LocalSemanticProvider.open({
        backend: opened,
        embedder: ctx.embedder,
        dimensions: ctx.settings.embeddingDimensions,
        maxDimensions: facet.capabilities.maxDimensions,
        vectorSearch: facet.capabilities.vectorSearch,
        decayRate: ctx.settings.decayRate,
        clock: ctx.clock,
        logger: ctx.logger,
        readOnly: ctx.settings.readOnly === true,
      });
    } catch (error) {
      await opened.close().catch(() => {});
      throw error;
    }
  }
  return { provider, capabilities: { ...facet.capabilities, ...provider.capabilities } };
}
