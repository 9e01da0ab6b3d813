import {
  BaseStore,
  getTextAtPath,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
} from '@langchain/langgraph-checkpoint';
import type { FilterExpr } from '../contracts/memory-filter.js';
import type { AgentSelector, MemoryRecord, RecallMode, RememberInput } from '../contracts/semantic-store.js';
import type { JsonObject } from '../contracts/types.js';
import type { MemorySubstrate } from '../index.js';
import { MemoryError } from '../errors.js';
import { matchesItemFilter, checkFilter, pushedDown } from './item-filter.js';
import { checkNamespace, compareNamespaces, fail, itemHash, naturalKey, pathCode, prefixCodes, scopeOf, type Namespace } from './namespace.js';

/** A put with LangGraph's `ttl` (minutes; omitted = the store's default, `null` = never expires). */
export type MemstratePutOperation = PutOperation & { ttl?: number | null };
/** A get or search with `refreshTtl` (default: the store's `ttl.refreshOnRead`). */
export type MemstrateGetOperation = GetOperation & { refreshTtl?: boolean };
export type MemstrateSearchOperation = SearchOperation & { refreshTtl?: boolean };

export interface MemstrateStoreOptions {
  /**
   * Which fields of a value are indexed for `query` search by default (LangGraph's `index.fields`
   * path syntax; default `["$"]`, the whole value). `false`: nothing is indexed unless a put names
   * fields. The text is embedded by the substrate's embedder and indexed for keyword recall.
   */
  index?: { fields?: string[] } | false;
  /** `defaultTtl`: minutes for puts without a ttl (default none); `refreshOnRead` (default true): a get or search restarts an item's ttl. */
  ttl?: { defaultTtl?: number; refreshOnRead?: boolean };
  /** Recall mode of `query` searches (default: the substrate's — hybrid with an embedder, else keyword). */
  recallMode?: RecallMode;
  /** Epoch ms for items' `updatedAt` (default Date.now; give the substrate's clock in tests). */
  clock?: () => number;
}

/** The LangGraph bookkeeping kept in a memory's metadata (`metadata.langgraph`). */
interface Bookkeeping {
  hash: string;
  namespace: string[];
  key: string;
  prefixes: string[];
  indexed: boolean;
  updatedAt: number;
  ttl?: number;
}

const OPTION_KEYS = ['index', 'ttl', 'recallMode', 'clock'];
const GET_KEYS = ['namespace', 'key', 'refreshTtl'];
const PUT_KEYS = ['namespace', 'key', 'value', 'index', 'ttl'];
const SEARCH_KEYS = ['namespacePrefix', 'filter', 'limit', 'offset', 'query', 'refreshTtl'];
const LIST_KEYS = ['matchConditions', 'maxDepth', 'limit', 'offset'];
/** Memories read per page when scanning (the semantic store's largest list page). */
const PAGE = 1000;
/** Most ranked results one `query` search can page through (the recall limit). */
const MAX_RANKED = 1000;
const MAX_TTL_MINUTES = 100 * 365 * 24 * 60;

function known(field: string, value: object, keys: readonly string[]): void {
  const unknown = Object.keys(value).filter((k) => !keys.includes(k) && (value as Record<string, unknown>)[k] !== undefined);
  if (unknown.length > 0) fail(`${field}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${keys.join(', ')})`);
}

function wholeNumber(field: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`${field} must be an integer between ${min} and ${max}`);
  return value;
}

function bookkeeping(record: MemoryRecord): Bookkeeping | undefined {
  const lg = record.metadata['langgraph'];
  return typeof lg === 'object' && lg !== null && !Array.isArray(lg) ? (lg as unknown as Bookkeeping) : undefined;
}

function toItem(record: MemoryRecord): Item {
  const lg = bookkeeping(record) as Bookkeeping;
  return {
    namespace: [...lg.namespace],
    key: lg.key,
    value: record.metadata['value'] as Record<string, unknown>,
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(lg.updatedAt),
  };
}

/**
 * LangGraph's BaseStore over a memstrate substrate: every item is one of the agent's memories in the
 * semantic store (namespace mapping: src/langgraph/namespace.ts, README "LangGraph"), so puts,
 * deletes and ttl refreshes are the substrate's audited mutations, filters and prefixes run in the
 * backend, `query` search is the substrate's recall (vector, keyword or hybrid), and an item's ttl
 * is the memory's expiry.
 *
 * A batch runs its operations in order: a get after a put in the same batch sees the put; each run
 * of consecutive puts is written with one rememberMany (all or nothing; for the same namespace and
 * key, the last put wins).
 */
export class MemstrateStore extends BaseStore {
  private readonly fields: string[] | false;
  private readonly defaultTtl: number | undefined;
  private readonly refreshOnRead: boolean;
  private readonly recallMode: RecallMode | undefined;
  private readonly now: () => number;

  constructor(
    private readonly mem: MemorySubstrate,
    options: MemstrateStoreOptions = {},
  ) {
    super();
    if (typeof options !== 'object' || options === null) fail('options must be an object');
    known('options', options, OPTION_KEYS);
    this.fields = options.index === false ? false : (options.index?.fields ?? ['$']);
    if (options.ttl !== undefined) known('options.ttl', options.ttl, ['defaultTtl', 'refreshOnRead']);
    this.defaultTtl = options.ttl?.defaultTtl === undefined ? undefined : ttlMinutes('options.ttl.defaultTtl', options.ttl.defaultTtl);
    this.refreshOnRead = options.ttl?.refreshOnRead ?? true;
    this.recallMode = options.recallMode;
    this.now = options.clock ?? Date.now;
  }

  /** `put` with LangGraph's `ttl` option (minutes; `null`: never expires). */
  override async put(namespace: string[], key: string, value: Record<string, unknown>, index?: false | string[], options?: { ttl?: number | null }): Promise<void> {
    const op: MemstratePutOperation = { namespace, key, value, ...(index !== undefined ? { index } : {}), ...(options?.ttl !== undefined ? { ttl: options.ttl } : {}) };
    await this.batch([op]);
  }

  /** `get` with `refreshTtl` (default: the store's `ttl.refreshOnRead`). */
  override async get(namespace: string[], key: string, options?: { refreshTtl?: boolean }): Promise<Item | null> {
    const [item] = await this.batch([{ namespace, key, ...(options?.refreshTtl !== undefined ? { refreshTtl: options.refreshTtl } : {}) } as GetOperation]);
    return item as Item | null;
  }

  /** `search` with `refreshTtl` (default: the store's `ttl.refreshOnRead`). */
  override async search(
    namespacePrefix: string[],
    options: { filter?: Record<string, unknown>; limit?: number; offset?: number; query?: string; refreshTtl?: boolean } = {},
  ): Promise<SearchItem[]> {
    if (typeof options !== 'object' || options === null) fail('search options must be an object');
    known('search options', options, ['filter', 'limit', 'offset', 'query', 'refreshTtl']);
    const [items] = await this.batch([{ namespacePrefix, ...options } as SearchOperation]);
    return items as SearchItem[];
  }

  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    if (!Array.isArray(operations)) fail('batch takes an array of operations');
    const results: unknown[] = [];
    let puts: MemstratePutOperation[] = [];
    const flush = async () => {
      if (puts.length > 0) await this.putAll(puts);
      puts = [];
    };
    for (const [i, op] of operations.entries()) {
      if (typeof op !== 'object' || op === null) fail(`operations[${i}] must be an object`);
      if ('value' in op) {
        puts.push(op as MemstratePutOperation);
        results.push(undefined);
        continue;
      }
      await flush();
      if ('namespacePrefix' in op) results.push(await this.runSearch(op as MemstrateSearchOperation));
      else if ('namespace' in op && 'key' in op) results.push(await this.getItem(op as MemstrateGetOperation));
      else if ('matchConditions' in op || 'limit' in op || 'maxDepth' in op) results.push(await this.namespaces(op as ListNamespacesOperation));
      else fail(`operations[${i}] is not a get, put, search or listNamespaces operation`);
    }
    await flush();
    return results as OperationResults<Op>;
  }

  // ── get ──

  private async getItem(op: MemstrateGetOperation): Promise<Item | null> {
    known('get', op, GET_KEYS);
    const namespace = checkNamespace('namespace', op.namespace, 1);
    if (typeof op.key !== 'string') fail('key must be a string');
    const record = await this.find(namespace, op.key);
    if (record === undefined) return null;
    const refreshed = await this.refresh(record, op.refreshTtl);
    return toItem(refreshed);
  }

  private async find(namespace: Namespace, key: string): Promise<MemoryRecord | undefined> {
    const page = await this.mem.semantic.list({
      agentId: namespace[0] as string,
      filter: { where: { 'metadata.langgraph.hash': itemHash(namespace, key) } },
      limit: 1,
    });
    return page.items[0];
  }

  /** Restarts the memory's expiry from its ttl when asked (or by default); returns the record as it now reads. */
  private async refresh(record: MemoryRecord, refreshTtl: boolean | undefined): Promise<MemoryRecord> {
    const ttl = bookkeeping(record)?.ttl;
    if (ttl === undefined || !(refreshTtl ?? this.refreshOnRead)) return record;
    if (refreshTtl !== undefined && typeof refreshTtl !== 'boolean') fail('refreshTtl must be true or false');
    try {
      return await this.mem.semantic.update(record.id, { ttlMs: ttl * 60_000 });
    } catch (error) {
      // Expired (or removed) between the read and the refresh: it is gone; report it as read.
      if (error instanceof MemoryError && error.code === 'NOT_FOUND') return record;
      throw error;
    }
  }

  // ── put / delete ──

  private async putAll(ops: MemstratePutOperation[]): Promise<void> {
    // The last put of each (namespace, key) wins; deletes and writes keep their batch order otherwise.
    const last = new Map<string, { op: MemstratePutOperation; namespace: string[] }>();
    ops.forEach((op, i) => {
      known(`operations[${i}] (put)`, op, PUT_KEYS);
      const namespace = checkNamespace('namespace', op.namespace, 1);
      if (typeof op.key !== 'string') fail('key must be a string');
      if (op.value !== null && (typeof op.value !== 'object' || Array.isArray(op.value))) fail('value must be an object (or null to delete)');
      const hash = itemHash(namespace, op.key);
      last.delete(hash);
      last.set(hash, { op, namespace });
    });
    const writes: RememberInput[] = [];
    for (const [hash, { op, namespace }] of last) {
      if (op.value === null) {
        await this.mem.semantic.deleteWhere({ agentId: namespace[0] as string, filter: { where: { 'metadata.langgraph.hash': hash } } });
      } else {
        writes.push(this.memoryOf(namespace, op, hash));
      }
    }
    if (writes.length > 0) await this.mem.semantic.rememberManyWithResult(writes);
  }

  private memoryOf(namespace: string[], op: MemstratePutOperation, hash: string): RememberInput {
    const ttl = op.ttl === null ? undefined : op.ttl === undefined ? this.defaultTtl : ttlMinutes('ttl', op.ttl);
    if (op.index !== undefined && op.index !== false && !(Array.isArray(op.index) && op.index.every((f) => typeof f === 'string'))) fail('index must be false or an array of field paths');
    const text = this.indexText(op.value as Record<string, unknown>, op.index);
    const lg: Bookkeeping = {
      hash,
      namespace,
      key: op.key,
      prefixes: prefixCodes(namespace),
      indexed: text !== undefined,
      updatedAt: this.now(),
      ...(ttl !== undefined ? { ttl } : {}),
    };
    return {
      agentId: namespace[0] as string,
      key: naturalKey(hash),
      scope: scopeOf(namespace),
      // A memory needs content: an item with nothing indexed carries its path (never searched by query).
      content: text ?? [...namespace, op.key].join('/'),
      metadata: { langgraph: lg as unknown as JsonObject, value: op.value as JsonObject },
      ...(ttl !== undefined ? { ttlMs: ttl * 60_000 } : {}),
    };
  }

  /**
   * The text `query` search ranks the item by, or undefined when nothing of it is indexed: `$` is
   * the whole value as JSON (as LangGraph's stores embed it), other paths LangGraph's getTextAtPath.
   */
  private indexText(value: Record<string, unknown>, index: false | string[] | undefined): string | undefined {
    const fields = index === undefined ? this.fields : index;
    if (fields === false) return undefined;
    const texts = fields.flatMap((path) => (path === '$' ? [JSON.stringify(value, null, 2)] : getTextAtPath(value, path)));
    const text = texts.filter((t) => t.length > 0).join('\n');
    return text.length > 0 ? text : undefined;
  }

  // ── search ──

  private async runSearch(op: MemstrateSearchOperation): Promise<SearchItem[]> {
    known('search', op, SEARCH_KEYS);
    const prefix = checkNamespace('namespacePrefix', op.namespacePrefix, 0);
    const filter = checkFilter(op.filter);
    const limit = wholeNumber('limit', op.limit, 10, 1, 10_000);
    const offset = wholeNumber('offset', op.offset, 0, 0, 1_000_000);
    if (op.query !== undefined && op.query !== null && (typeof op.query !== 'string' || op.query.length === 0)) fail('query must be a non-empty string');
    if (op.refreshTtl !== undefined && typeof op.refreshTtl !== 'boolean') fail('refreshTtl must be true or false');
    const selector: AgentSelector = prefix.length === 0 ? { allAgents: true } : { agentId: prefix[0] as string };
    const where: FilterExpr[] = [{ 'metadata.langgraph.prefixes': pathCode(prefix.slice(1)) }, ...pushedDown(filter)];
    const wanted = offset + limit;
    const found: { record: MemoryRecord; score?: number }[] = [];
    const seen = new Set<string>();
    if (typeof op.query === 'string') {
      if (wanted > MAX_RANKED) fail(`a query search ranks at most ${MAX_RANKED} items: offset + limit must not exceed it`);
      const ranked = await this.mem.semantic.recall({
        ...selector,
        text: op.query,
        limit: filter === undefined ? wanted : MAX_RANKED,
        ...(this.recallMode ? { mode: this.recallMode } : {}),
        filter: { where: { $and: [...where, { 'metadata.langgraph.indexed': true }] } },
      });
      for (const hit of ranked) {
        if (found.length >= wanted) break;
        if (!matchesItemFilter(filter, hit.memory.metadata['value'] as Record<string, unknown>)) continue;
        seen.add(hit.memory.id);
        found.push({ record: hit.memory, score: hit.score });
      }
    }
    // Without a query (or after the ranked ones): the rest in creation order, unscored.
    for await (const record of this.scan(selector, where)) {
      if (found.length >= wanted) break;
      if (seen.has(record.id) || !matchesItemFilter(filter, record.metadata['value'] as Record<string, unknown>)) continue;
      found.push({ record });
    }
    const page = found.slice(offset, wanted);
    const items: SearchItem[] = [];
    for (const { record, score } of page) {
      const item: SearchItem = toItem(await this.refresh(record, op.refreshTtl));
      if (score !== undefined) item.score = score;
      items.push(item);
    }
    return items;
  }

  /** Every LangGraph memory matching `where`, oldest first, a page at a time. */
  private async *scan(selector: AgentSelector, where: FilterExpr[]): AsyncGenerator<MemoryRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.mem.semantic.list({ ...selector, filter: { where: { $and: where } }, orderBy: 'createdAt', limit: PAGE, ...(cursor ? { cursor } : {}) });
      for (const record of page.items) if (bookkeeping(record) !== undefined) yield record;
      cursor = page.nextCursor;
    } while (cursor !== undefined);
  }

  // ── listNamespaces ──

  private async namespaces(op: ListNamespacesOperation): Promise<string[][]> {
    known('listNamespaces', op, LIST_KEYS);
    const conditions = (op.matchConditions ?? []) as MatchCondition[];
    if (!Array.isArray(conditions)) fail('matchConditions must be an array');
    conditions.forEach((c, i) => {
      if (typeof c !== 'object' || c === null) fail(`matchConditions[${i}] must be an object`);
      known(`matchConditions[${i}]`, c, ['matchType', 'path']);
      if (c.matchType !== 'prefix' && c.matchType !== 'suffix') fail(`matchConditions[${i}].matchType must be prefix or suffix`);
      if (!Array.isArray(c.path) || !c.path.every((l) => typeof l === 'string')) fail(`matchConditions[${i}].path must be an array of strings`);
    });
    const maxDepth = op.maxDepth === undefined ? undefined : wholeNumber('maxDepth', op.maxDepth, 0, 1, 1_000);
    const limit = wholeNumber('limit', op.limit, 100, 1, 10_000);
    const offset = wholeNumber('offset', op.offset, 0, 0, 1_000_000);
    // The backend narrows by the leading literal labels of a prefix condition (agent, then path).
    const prefix = conditions.find((c) => c.matchType === 'prefix')?.path ?? [];
    const literal = prefix.slice(0, prefix.includes('*') ? prefix.indexOf('*') : prefix.length) as string[];
    const selector: AgentSelector = literal.length === 0 ? { allAgents: true } : { agentId: literal[0] as string };
    const where: FilterExpr[] = [{ 'metadata.langgraph.prefixes': pathCode(literal.slice(1)) }];
    const distinct = new Map<string, string[]>();
    for await (const record of this.scan(selector, where)) {
      let namespace = (bookkeeping(record) as Bookkeeping).namespace;
      if (!conditions.every((c) => matches(c, namespace))) continue;
      if (maxDepth !== undefined) namespace = namespace.slice(0, maxDepth);
      distinct.set(JSON.stringify(namespace), namespace);
    }
    return [...distinct.values()].sort(compareNamespaces).slice(offset, offset + limit);
  }
}

function matches(condition: MatchCondition, namespace: readonly string[]): boolean {
  const { path } = condition;
  if (path.length > namespace.length) return false;
  const start = condition.matchType === 'prefix' ? 0 : namespace.length - path.length;
  return path.every((label, i) => label === '*' || namespace[start + i] === label);
}

function ttlMinutes(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TTL_MINUTES) fail(`${field} must be a number of minutes above 0 (at most ${MAX_TTL_MINUTES})`);
  return value;
}
