import type { MainCapabilities, SemanticCapabilities } from './capabilities.js';

/** What a substrate runs on (`mem.info`, `GET /v1/info`, `memstrate stats`). */
export interface SubstrateInfo {
  backend: string;
  semanticBackend: string;
  schemaVersion: string;
  /** `dimensions` appears once the vector space is fixed. */
  embedding: { provider: string; model?: string | undefined; dimensions?: number | undefined };
  /** What each opened backend can do (declared by its definition, refined by the opened instance). */
  capabilities: { main: MainCapabilities; semantic: SemanticCapabilities };
  /**
   * Present on a forensic (read-only) open: whether the audit chain verified, and where it broke.
   * Nothing can be written through such a substrate.
   */
  forensic?: { chain: 'intact' } | { chain: 'broken'; seq: number; message: string };
}
