import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendUnavailableError, type MemoryRecord, type VectorSpace } from 'memstrate';

/** Marks the file as ours; a file without it is refused rather than overwritten. */
export const FORMAT = 'memstrate-backend-jsonfile';
export const VERSION = 1;

/**
 * One memory as the file stores it: exactly the public record (the embedding, when present, is unit
 * length in the store's dimension; float32 values written as JSON numbers round-trip exactly).
 */
export type StoredMemory = MemoryRecord;

/** The whole file: the fixed vector space and every memory, in insertion order. */
export interface FileContents {
  format: typeof FORMAT;
  version: typeof VERSION;
  vectorSpace: VectorSpace | null;
  memories: StoredMemory[];
}

const BACKEND = 'jsonfile';

/**
 * The memories file. `read` loads it whole (a missing file is an empty store); `write` replaces it
 * atomically: the new contents go to a temporary file in the same directory, are fsynced, then
 * renamed over the old file — a crash leaves either the old or the new file, never a torn one.
 */
export class JsonFile {
  constructor(readonly path: string) {}

  async read(): Promise<FileContents | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new BackendUnavailableError(`cannot read ${this.path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { backend: BACKEND, cause: error });
    }
    let parsed: Partial<FileContents>;
    try {
      parsed = JSON.parse(text) as Partial<FileContents>;
    } catch {
      throw new BackendUnavailableError(`${this.path} is not valid JSON; refusing to open it`, { backend: BACKEND });
    }
    if (parsed.format !== FORMAT || parsed.version !== VERSION || !Array.isArray(parsed.memories)) {
      throw new BackendUnavailableError(`${this.path} is not a ${FORMAT} v${VERSION} file; refusing to open it`, { backend: BACKEND });
    }
    return parsed as FileContents;
  }

  async ensureDirectory(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
    } catch (error) {
      throw new BackendUnavailableError(`cannot create the directory of ${this.path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { backend: BACKEND, cause: error });
    }
  }

  async write(contents: FileContents): Promise<void> {
    const tmp = `${this.path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(tmp, 'w');
      try {
        await handle.writeFile(JSON.stringify(contents));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.path);
    } catch (error) {
      await rm(tmp, { force: true }).catch(() => {});
      throw new BackendUnavailableError(`cannot write ${this.path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { backend: BACKEND, cause: error });
    }
  }
}
