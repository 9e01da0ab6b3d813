import type { SemanticBackend } from '../../contracts/semantic-backend.js';
import { NotSupportedError } from '../../errors.js';
import type { BackendContext } from '../open-backends.js';

/** STUB — being implemented: semantic memory on pgvector. */
export async function openPostgresSemanticBackend(ctx: BackendContext): Promise<SemanticBackend> {
  void ctx;
  throw new NotSupportedError('semantic_backend "postgres" is not available yet', { backend: 'postgres' });
}
