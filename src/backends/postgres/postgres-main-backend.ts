import type { MainBackend } from '../../contracts/main-backend.js';
import { NotSupportedError } from '../../errors.js';
import type { BackendContext } from '../open-backends.js';

/** STUB — being implemented: the eight main stores on PostgreSQL. */
export async function openPostgresMainBackend(ctx: BackendContext): Promise<MainBackend> {
  void ctx;
  throw new NotSupportedError('backend "postgres" is not available yet', { backend: 'postgres' });
}
