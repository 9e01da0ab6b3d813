import { createInterface } from 'node:readline';

/** In a child process: resolves when the parent writes a `go` line on stdin (a start barrier). */
export function waitForGo(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let started = false;
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (line.trim() === 'go') {
        started = true;
        lines.close();
        resolve();
      }
    });
    lines.on('close', () => (started ? undefined : reject(new Error('stdin closed before "go"'))));
    process.stdin.on('error', reject);
  });
}
