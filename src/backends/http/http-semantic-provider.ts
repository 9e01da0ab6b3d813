import type { SemanticProvider } from '../../contracts/semantic-provider.js';
import { NotSupportedError } from '../../errors.js';
import type { BackendContext } from '../open-backends.js';

/** STUB — being implemented: semantic memory on a remote memstrate gateway. */
export async function openHttpSemanticProvider(ctx: BackendContext): Promise<SemanticProvider> {
  void ctx;
  throw new NotSupportedError('semantic_backend "http" is not available yet', { backend: 'http' });
}
