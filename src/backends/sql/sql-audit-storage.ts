import { sql, type Expression } from 'kysely';
import type { AuditEntry, AuditTip } from '../../contracts/audit-log.js';
import type { AuditStorage } from '../../contracts/main-backend.js';
import { GENESIS_TIP } from '../../core/audit-chain.js';
import { newId } from '../../core/ids.js';
import { num, SqlStore, type SqlStoreContext } from './context.js';
import { prepare } from './prepared.js';
import type { AuditEntriesTable } from './schema.js';

const CHAIN_ID_KEY = 'audit.chain_id';

function toEntry(row: AuditEntriesTable): AuditEntry {
  return {
    seq: num(row.seq),
    timestamp: num(row.timestamp),
    agentId: row.agent_id,
    action: row.action,
    detail: row.detail,
    outcome: row.outcome,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Audit rows on a SQL engine; the append reads the tip and inserts inside one exclusive transaction. */
export class SqlAuditStorage extends SqlStore implements AuditStorage {
  private readonly qTip;
  private readonly qInsert;
  private readonly qAt;

  constructor(ctx: SqlStoreContext) {
    super(ctx);
    const db = this.engine.db;
    this.qTip = prepare(() =>
      db.selectFrom('audit_entries').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).modifyEnd(sqlForUpdate(this.engine.forUpdate)),
    );
    this.qInsert = prepare<'seq' | 'timestamp' | 'agentId' | 'action' | 'detail' | 'outcome' | 'prevHash' | 'hash', unknown>((p) =>
      db.insertInto('audit_entries').values({
        seq: p('seq'),
        timestamp: p('timestamp'),
        agent_id: p('agentId'),
        action: p('action'),
        detail: p('detail'),
        outcome: p('outcome'),
        prev_hash: p('prevHash'),
        hash: p('hash'),
      }),
    );
    this.qAt = prepare<'seq', AuditEntriesTable>((p) => db.selectFrom('audit_entries').selectAll().where('seq', '=', p('seq')));
  }

  append(build: (tip: AuditTip) => AuditEntry): Promise<AuditEntry> {
    return this.guard('audit append', () =>
      this.engine.transaction(async (tx) => {
        const row = await tx.first(this.qTip({}));
        const tip = row ? { seq: num(row.seq), hash: row.hash } : GENESIS_TIP;
        const entry = build(tip);
        await tx.run(this.qInsert(entry));
        return entry;
      }, { lock: 'audit-append' }),
    );
  }

  tip(): Promise<AuditTip> {
    return this.guard('audit tip', async () => {
      const row = await this.engine.first(
        this.engine.db.selectFrom('audit_entries').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).compile(),
      );
      return row ? { seq: num(row.seq), hash: row.hash } : GENESIS_TIP;
    });
  }

  scan(afterSeq: number, limit: number, agentId?: string): Promise<AuditEntry[]> {
    return this.guard('audit scan', async () => {
      let q = this.engine.db.selectFrom('audit_entries').selectAll().where('seq', '>', afterSeq);
      if (agentId !== undefined) q = q.where('agent_id', '=', agentId);
      const rows = await this.engine.reader.rows(q.orderBy('seq', 'asc').limit(limit).compile());
      return rows.map(toEntry);
    });
  }

  at(seq: number): Promise<AuditEntry | undefined> {
    return this.guard('audit read', async () => {
      const row = await this.engine.first(this.qAt({ seq }));
      return row ? toEntry(row) : undefined;
    });
  }

  count(): Promise<number> {
    return this.guard('audit count', async () => {
      const row = await this.engine.first(
        this.engine.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number>().as('n')).compile(),
      );
      return num(row?.n ?? 0);
    });
  }

  chainId(): Promise<string> {
    return this.guard('audit chain id', async () => {
      const db = this.engine.db;
      const read = () => this.engine.first(db.selectFrom('meta').select('value').where('key', '=', CHAIN_ID_KEY).compile());
      // Read first: a store that has one is never written to (read-only opens rely on it).
      const existing = await read();
      if (existing) return existing.value;
      await this.engine.run(
        db.insertInto('meta').values({ key: CHAIN_ID_KEY, value: newId() }).onConflict((oc) => oc.column('key').doNothing()).compile(),
      );
      const row = await read();
      if (!row) throw new Error('audit chain id was not recorded');
      return row.value;
    });
  }

  checkpoint(): Promise<AuditTip | undefined> {
    return this.guard('audit checkpoint read', async () => {
      const row = await this.engine.first(
        this.engine.db.selectFrom('audit_checkpoints').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).compile(),
      );
      return row ? { seq: num(row.seq), hash: row.hash } : undefined;
    });
  }

  saveCheckpoint(tip: AuditTip): Promise<void> {
    return this.guard('audit checkpoint write', async () => {
      await this.engine.run(
        this.engine.db
          .insertInto('audit_checkpoints')
          .values({ seq: tip.seq, hash: tip.hash, created_at: this.clock() })
          .onConflict((oc) => oc.column('seq').doNothing())
          .compile(),
      );
    });
  }
}

function sqlForUpdate(text: string): Expression<unknown> {
  return sql.raw(text);
}
