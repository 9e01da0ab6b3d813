import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startGateway, type GatewayUnderTest } from './fixture.js';
import { figure } from '../helpers/figure.js';
import { KeywordRunWriter } from '../../src/backends/sqlite/sqlite-keyword-runs.js';
import { InsertedPerAgent } from '../../src/backends/sqlite/sqlite-agent-counts.js';

/**
 * The gateway keeps answering while heavy queries run: a graph walk to depth 16 over 10,000
 * entities and 100,000 edges is done level by level in small statements, so GET /health, polled
 * the whole time, is never held behind it. The graph is written straight into the SQLite file
 * (setup only: 110k audited writes would take minutes); the queries go through the real gateway.
 */
const AGENT = 'graph-agent';
const ENTITIES = 10_000;
const EDGES_PER_ENTITY = 10;

/** Polls GET /health every 10 ms while `work` runs; returns the latencies (ms, sorted) and the work's time. */
async function healthDuring<T>(gw: GatewayUnderTest, work: () => Promise<T>): Promise<{ latencies: number[]; elapsed: number; result: T }> {
  const latencies: number[] = [];
  let running = true;
  const poll = (async () => {
    while (running) {
      const t0 = performance.now();
      const res = await gw.call('GET', '/health', undefined, { auth: false });
      latencies.push(performance.now() - t0);
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const started = performance.now();
  const result = await work();
  const elapsed = performance.now() - started;
  running = false;
  await poll;
  latencies.sort((a, b) => a - b);
  return { latencies, elapsed, result };
}

const worst = (latencies: number[]): number => latencies.at(-1) as number;
const p50 = (latencies: number[]): string => (latencies[latencies.length >> 1] as number).toFixed(1);

describe('a gateway that never stalls', () => {
  it('GET /health answers within 100 ms while four depth-16 graph walks over 10k entities / 100k edges run', async (context) => {
    const gw = await startGateway();
    await gw.mem.close();
    const db = new Database(gw.config.sqlitePath as string);
    const id = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    db.transaction(() => {
      const entity = db.prepare("insert into entities (id, agent_id, entity_type, name, properties, created_at, updated_at) values (?, ?, 'concept', ?, '{}', 1, 1)");
      const relation = db.prepare("insert into relations (id, agent_id, source_entity, relation_type, target_entity, properties, confidence, created_at) values (?, ?, ?, 'related_to', ?, '{}', 1, ?)");
      for (let i = 0; i < ENTITIES; i++) entity.run(id(i), AGENT, `n${i}`);
      let r = ENTITIES;
      let seed = 7;
      for (let i = 0; i < ENTITIES; i++) {
        for (let e = 0; e < EDGES_PER_ENTITY; e++) {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          relation.run(id(r++), AGENT, id(i), id(seed % ENTITIES), r);
        }
      }
    })();
    db.close();
    // The gateway's own substrate was closed above: serve the file through a fresh gateway.
    const live = await startGateway({ config: gw.config });

    const walk = () => live.call('POST', '/v1/graph/query', { agentId: AGENT, source: 'n0', maxDepth: 16, limit: 1000 });
    const { latencies, elapsed, result: results } = await healthDuring(live, () => Promise.all([walk(), walk(), walk(), walk()]));
    for (const res of results) {
      expect(res.status).toBe(200);
      expect(res.body.matches).toHaveLength(1000);
    }
    figure(context, `graph walks: 4 × depth 16 in ${elapsed.toFixed(0)} ms; GET /health ${latencies.length} polls, p50 ${p50(latencies)} ms, worst ${worst(latencies).toFixed(1)} ms`);
    expect(latencies.length).toBeGreaterThan(2);
    expect(worst(latencies)).toBeLessThan(100);
  }, 120_000);

  /**
   * One long task cannot be split like a walk: a keyword recall ranking 100,000 matches scores
   * 500,000 postings in one read task (tens of ms on the 2-core machine). On the main connection (`read_workers = 0`) every
   * /health poll waits behind whichever recall is running — its median latency is at least half a
   * recall's time, measured alone in the same run; on the read workers (the default) /health keeps
   * answering at once.
   */
  it('GET /health answers within 100 ms while eight keyword recalls over 100k memories run on the read workers (and waits behind them without)', async (context) => {
    const gw = await startGateway();
    await gw.mem.semantic.remember({ agentId: AGENT, content: 'alpha seed' }); // creates the schema
    await gw.mem.close();
    const path = gw.config.sqlitePath as string;
    const db = new Database(path);
    db.transaction(() => {
      const insert = db.prepare(
        "insert into memories (id, agent_id, content, source, scope, metadata, confidence, created_at, accessed_at, access_count) values (?, ?, ?, 'observation', 'episodic', '{}', 1, ?, ?, 0)",
      );
      const statements = new Map<string, Database.Statement>();
      const counts = new InsertedPerAgent();
      const terms = new KeywordRunWriter((sql) => statements.get(sql) ?? (statements.set(sql, db.prepare(sql)).get(sql) as Database.Statement));
      for (let i = 0; i < 100_000; i++) {
        const content = `alpha beta note ${i} gamma ${i % 97} delta ${i % 13}`;
        const { lastInsertRowid } = insert.run(`m-${i}`, AGENT, content, i, i);
        terms.add(lastInsertRowid, AGENT, content);
        counts.inserted(AGENT);
      }
      counts.flush((sql) => db.prepare(sql));
      terms.flush();
    })();
    db.close();
    const recall = (live: GatewayUnderTest) => live.call('POST', '/v1/memories/recall', { agentId: AGENT, text: 'alpha beta note gamma delta', limit: 10 });
    const figures: string[] = [];
    const by: Record<number, { p50: number; worst: number; alone: number }> = {};
    for (const readWorkers of [0, 2]) {
      const live = await startGateway({ config: { ...gw.config, sqlitePath: undefined, sqlite: { path, readWorkers } } });
      await recall(live); // warm: page cache, statements, workers
      const alone: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await recall(live);
        alone.push(performance.now() - t0);
      }
      alone.sort((a, b) => a - b);
      const { latencies, elapsed, result } = await healthDuring(live, () => Promise.all(Array.from({ length: 8 }, () => recall(live))));
      for (const res of result) {
        expect(res.status).toBe(200);
        expect(res.body.results).toHaveLength(10);
      }
      expect(latencies.length).toBeGreaterThan(2);
      // The bars use the fastest of the three lone recalls: one slow sample (seen: 38.5 ms beside 18 ms each in the burst) must not raise them.
      by[readWorkers] = { p50: Number(p50(latencies)), worst: worst(latencies), alone: alone[0] as number };
      figures.push(`read_workers=${readWorkers}: one recall ${alone[1]?.toFixed(1)} ms, 8 at once in ${elapsed.toFixed(0)} ms, /health p50 ${p50(latencies)} ms, worst ${worst(latencies).toFixed(1)} ms`);
    }
    figure(context, `keyword recalls over 100k memories — ${figures.join('; ')}`);
    const [main, workers] = [by[0], by[2]] as [typeof by[0], typeof by[0]];
    expect(main.p50).toBeGreaterThanOrEqual(main.alone / 2);
    expect(workers.worst).toBeLessThan(100);
    expect(workers.p50).toBeLessThan(main.alone / 4);
  }, 120_000);
});
