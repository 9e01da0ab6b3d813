/** Standalone: `npx tsx test/qdrant-emulator/main.ts [--port N] [--api-key K] [--unwaited-delay-ms N]`; prints the URL. */
import { startQdrantEmulator } from './index.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const port = flag('--port');
const apiKey = flag('--api-key');
const delay = flag('--unwaited-delay-ms');
const emulator = await startQdrantEmulator({
  ...(port !== undefined ? { port: Number(port) } : {}),
  ...(apiKey !== undefined ? { apiKey } : {}),
  ...(delay !== undefined ? { unwaitedDelayMs: Number(delay) } : {}),
});
console.log(emulator.url);
const stop = (): void => {
  void emulator.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
