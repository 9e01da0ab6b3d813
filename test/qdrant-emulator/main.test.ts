import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const main = fileURLToPath(new URL('./main.ts', import.meta.url));

describe('qdrant emulator: standalone', () => {
  it('main.ts prints the URL it serves on', async () => {
    const child = spawn(tsx, [main, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
      const url = chunk.toString().trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/`);
      expect(((await res.json()) as { version: string }).version).toBe('1.18.0');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
