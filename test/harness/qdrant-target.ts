import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where the Qdrant cells find a Qdrant: the server at QDRANT_URL when it is set; else a real Qdrant
 * in Docker, started with testcontainers from the image pinned in docker-compose.yml, when a Docker
 * engine answers; else the Qdrant REST emulator (test/qdrant-emulator) in this process. The API key,
 * when QDRANT_API_KEY is set, goes to the substrate through `qdrant.api_key_env`.
 */
export interface QdrantTarget {
  url: string;
  kind: 'server' | 'docker' | 'emulator';
  /** For reports: which engine this is. */
  engine: string;
  /** The env var holding the API key, when the server needs one. */
  apiKeyEnv?: string;
}

export const QDRANT_API_KEY_ENV = 'QDRANT_API_KEY';

/** The Qdrant image docker-compose.yml pins (one place for the version). */
export function pinnedQdrantImage(): string {
  const compose = readFileSync(fileURLToPath(new URL('../../docker-compose.yml', import.meta.url)), 'utf8');
  const image = /image:\s*(qdrant\/qdrant:\S+)/.exec(compose)?.[1];
  if (!image) throw new Error('docker-compose.yml pins no qdrant/qdrant image');
  return image;
}

/** Whether a Docker engine is configured and answers (never true on machines without one). */
async function dockerAnswers(): Promise<boolean> {
  if (!process.env['DOCKER_HOST'] && !existsSync('/var/run/docker.sock')) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

let kind: Promise<QdrantTarget['kind']> | undefined;

/** Which Qdrant the cells will use (decided once, without starting anything). */
export function qdrantKind(): Promise<QdrantTarget['kind']> {
  kind ??= (async () => (process.env['QDRANT_URL'] ? 'server' : (await dockerAnswers()) ? 'docker' : 'emulator'))();
  return kind;
}

/** How test titles and the matrix name the kind. */
export const QDRANT_KIND_LABEL: Record<QdrantTarget['kind'], string> = {
  server: 'on the Qdrant server at QDRANT_URL',
  docker: 'on Qdrant in Docker',
  emulator: 'on the Qdrant emulator',
};

async function resolveTarget(): Promise<QdrantTarget> {
  const apiKeyEnv = process.env[QDRANT_API_KEY_ENV] ? QDRANT_API_KEY_ENV : undefined;
  const configured = process.env['QDRANT_URL'];
  const chosen = await qdrantKind();
  if (configured) {
    const version = await serverVersion(configured, apiKeyEnv ? process.env[apiKeyEnv] : undefined);
    return { url: configured.replace(/\/+$/, ''), kind: 'server', engine: `Qdrant ${version} server (QDRANT_URL, ${new URL(configured).host})`, ...(apiKeyEnv ? { apiKeyEnv } : {}) };
  }
  if (chosen === 'docker') {
    const { GenericContainer, Wait } = await import('testcontainers');
    const image = pinnedQdrantImage();
    const container = await new GenericContainer(image)
      .withExposedPorts(6333)
      .withWaitStrategy(Wait.forHttp('/readyz', 6333))
      .start();
    const url = `http://${container.getHost()}:${container.getMappedPort(6333)}`;
    process.once('beforeExit', () => void container.stop().catch(() => {}));
    return { url, kind: 'docker', engine: `Qdrant in Docker (${image}, testcontainers)` };
  }
  const { startQdrantEmulator } = await import('../qdrant-emulator/index.js');
  const emulator = await startQdrantEmulator({ unwaitedDelayMs: 50 });
  return { url: emulator.url, kind: 'emulator', engine: `Qdrant REST emulator (test/qdrant-emulator, ${emulator.url}; no QDRANT_URL and no Docker engine here)` };
}

async function serverVersion(url: string, apiKey: string | undefined): Promise<string> {
  const res = await fetch(url.replace(/\/+$/, '') + '/', { headers: apiKey ? { 'api-key': apiKey } : {}, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`QDRANT_URL ${new URL(url).host} answered ${res.status}`);
  const body = (await res.json()) as { version?: string };
  return body.version ?? 'unknown version';
}

let target: Promise<QdrantTarget> | undefined;

/** The Qdrant this test process uses (resolved once). */
export function qdrantTarget(): Promise<QdrantTarget> {
  target ??= resolveTarget();
  return target;
}

/** Deletes a test collection (ignores one that is gone). */
export async function dropCollection(t: QdrantTarget, collection: string): Promise<void> {
  const apiKey = t.apiKeyEnv ? process.env[t.apiKeyEnv] : undefined;
  await fetch(`${t.url}/collections/${collection}`, { method: 'DELETE', headers: apiKey ? { 'api-key': apiKey } : {} });
}
