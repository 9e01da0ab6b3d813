import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySubstrate } from '../../src/index.js';
import { figure } from '../helpers/figure.js';
import { TestGateway } from '../harness/cells/http.js';

/**
 * Erasure leaves no trace in the storage itself: distinctive content written to every store of one
 * agent is found in the SQLite file and its WAL by a raw byte scan before `erase`, and nowhere after
 * (secure_delete overwrites the freed cells — memory rows and their keyword terms alike —, the WAL is
 * checkpointed and truncated).
 */
const dir = mkdtempSync(join(tmpdir(), 'memstrate-erase-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MARK = 'qxzmarkervolumnar';

/** Where the mark occurs in the raw bytes of the file and its WAL (case-insensitive: keyword terms are lower-cased). */
function traces(path: string): string[] {
  const found: string[] = [];
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file).toString('latin1').toLowerCase();
    let at = text.indexOf(MARK);
    while (at >= 0) {
      found.push(`${file.endsWith('-wal') ? 'wal' : 'db'}@${at}`);
      at = text.indexOf(MARK, at + 1);
    }
  }
  return found;
}

describe('erasure, scanned on disk', () => {
  it('SQLite file and WAL: the erased agent\'s content is found before erase and nowhere after', async (context) => {
    const path = join(dir, 'mem.db');
    const open = () => MemorySubstrate.open({ sqlitePath: path, auditAnchorPath: `${path}.anchor` }, { env: {} });
    let mem = await open();
    const secret = `The ${MARK.toUpperCase()} plan`;
    await mem.semantic.rememberMany([
      { agentId: 'victim', content: `${secret}, first`, embedding: [1, 0, 0] },
      { agentId: 'victim', content: `${secret}, second`, embedding: [0, 1, 0] },
    ]);
    await mem.structured.set('victim', 'k', { note: secret });
    await mem.knowledge.addEntity({ agentId: 'victim', entityType: 'project', name: secret });
    await mem.sessions.appendCanonical('victim', [{ role: 'user', content: secret }]);
    await mem.tasks.post({ title: secret, createdBy: 'victim' });
    const bytes = new TextEncoder().encode(secret);
    const key = { agentId: 'victim', threadId: 'thread', namespace: '', checkpointId: 'c1' };
    await mem.checkpoints.put({ ...key, type: 'json', checkpoint: bytes, metadataType: 'json', metadata: bytes, channelVersions: { m: '1' }, channels: [{ channel: 'm', version: '1', type: 'json', value: bytes }] });
    await mem.checkpoints.putWrites({ ...key, taskId: 'task', writes: [{ idx: 0, channel: 'm', type: 'json', value: bytes }] });
    for (let i = 0; i < 20; i++) await mem.semantic.remember({ agentId: 'keeper', content: `unrelated note ${i}`, embedding: [0, 0, 1] });
    await mem.close();
    const before = traces(path);
    expect(before.length, 'the scan sees the content while it is stored').toBeGreaterThan(0);

    mem = await open();
    const receipt = await mem.erase({ agentId: 'victim' });
    expect(receipt.counts).toMatchObject({ memories: 2, kvEntries: 1, entities: 1, canonicalSessions: 1, tasks: 1, checkpoints: 1 });
    // Still open: the erasure's own checkpoint already cleaned the WAL.
    const whileOpen = traces(path);
    await mem.close();
    const after = traces(path);
    figure(context, `erasure scan (SQLite file + WAL): ${before.length} traces of the content before erase, ${whileOpen.length} after it (store open), ${after.length} after close`);
    expect(whileOpen).toEqual([]);
    expect(after).toEqual([]);
    mem = await open();
    expect(await mem.semantic.count({ agentId: 'keeper' })).toBe(20);
    expect((await mem.audit.verify()).ok).toBe(true);
    await mem.close();
  });

  it('behind the http backend: the gateway\'s own SQLite file and WAL, and the client\'s main file, keep no trace', async (context) => {
    const gatewayPath = join(dir, 'gateway.db');
    const token = 'erase-scan-token';
    const gateway = new TestGateway({ sqlitePath: gatewayPath, auditAnchorPath: `${gatewayPath}.anchor` }, token);
    await gateway.start();
    const clientPath = join(dir, 'client.db');
    const mem = await MemorySubstrate.open(
      { sqlitePath: clientPath, auditAnchorPath: `${clientPath}.anchor`, semanticBackend: 'http', httpUrl: gateway.url, httpTokenEnv: 'ERASE_SCAN_TOKEN' },
      { env: { ERASE_SCAN_TOKEN: token } },
    );
    try {
      const secret = `The ${MARK.toUpperCase()} plan`;
      await mem.semantic.rememberMany([
        { agentId: 'victim', content: `${secret}, first`, embedding: [1, 0, 0] },
        { agentId: 'victim', content: `${secret}, second`, embedding: [0, 1, 0] },
      ]);
      await mem.structured.set('victim', 'k', { note: secret });
      for (let i = 0; i < 20; i++) await mem.semantic.remember({ agentId: 'keeper', content: `unrelated note ${i}`, embedding: [0, 0, 1] });
      const before = [...traces(gatewayPath), ...traces(clientPath)];
      expect(before.length, 'the scan sees the content in the gateway\'s file or its WAL').toBeGreaterThan(0);
      const receipt = await mem.erase({ agentId: 'victim' });
      expect(receipt.counts).toMatchObject({ memories: 2, kvEntries: 1 });
      const after = [...traces(gatewayPath), ...traces(clientPath)];
      figure(context, `erasure scan (gateway's SQLite file + WAL behind the http backend, and the client's main file): ${before.length} traces before erase, ${after.length} after`);
      expect(after).toEqual([]);
      expect(await mem.semantic.count({ agentId: 'keeper' })).toBe(20);
    } finally {
      await mem.close();
      await gateway.stop();
    }
  });
});
