/**
 * `memstrate memories list|count|show|agents`: read an existing store's memories from the command
 * line (with --forensic, also a store whose audit chain is broken). They open read-only commands'
 * way: never creating a store.
 */
import type { AgentMemoryCount, ListQuery, MemoryFilter, MemoryPage, MemoryRecord } from '../contracts/semantic-store.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ErasureReceipt } from '../core/erasure.js';
import { wholeNumber } from './args.js';
import { withSubstrate } from './commands.js';

export interface SelectOptions {
  agent?: string;
  allAgents?: boolean;
  /** A MemoryFilter as JSON text. */
  filter?: string;
  forensic?: boolean;
}

export interface ListOptions extends SelectOptions {
  order?: string;
  limit?: string;
  cursor?: string;
}

function fail(message: string): never {
  throw new ValidationError(message, { backend: 'cli' });
}

/** --agent or --all-agents (exactly one), and --filter parsed from JSON. */
function selection(options: SelectOptions): { agentId: string; filter?: MemoryFilter } | { allAgents: true; filter?: MemoryFilter } {
  if ((options.agent === undefined) === (options.allAgents !== true)) fail('say --agent <id> or --all-agents (one of them)');
  let filter: MemoryFilter | undefined;
  if (options.filter !== undefined) {
    try {
      filter = JSON.parse(options.filter) as MemoryFilter;
    } catch (error) {
      fail(`--filter is not JSON: ${(error as Error).message}`);
    }
  }
  const base = options.agent !== undefined ? { agentId: options.agent } : { allAgents: true as const };
  return filter === undefined ? base : { ...base, filter };
}


const open = { existingOnly: true };

/** One page of memories (newest first unless --order createdAt); pass nextCursor back as --cursor. */
export async function memoriesListCommand(config: string | undefined, options: ListOptions): Promise<MemoryPage> {
  const query = { ...selection(options) } as ListQuery;
  if (options.order !== undefined) query.orderBy = options.order as ListQuery['orderBy'];
  const limit = wholeNumber('--limit', options.limit);
  if (limit !== undefined) query.limit = limit;
  if (options.cursor !== undefined) query.cursor = options.cursor;
  return withSubstrate(config, (mem) => mem.semantic.list(query), { ...open, forensic: options.forensic === true });
}

export async function memoriesCountCommand(config: string | undefined, options: SelectOptions): Promise<{ count: number }> {
  const query = selection(options);
  return withSubstrate(config, async (mem) => ({ count: await mem.semantic.count(query) }), { ...open, forensic: options.forensic === true });
}

/** One memory with its vector; NOT_FOUND when there is none. */
export async function memoriesShowCommand(config: string | undefined, id: string, options: { forensic?: boolean }): Promise<MemoryRecord> {
  return withSubstrate(
    config,
    async (mem) => {
      const record = await mem.semantic.get(id);
      if (record === undefined) throw new NotFoundError(`no memory ${id}`, { backend: 'cli' });
      return record;
    },
    { ...open, forensic: options.forensic === true },
  );
}

/** The agents that have memories, most first. */
export async function memoriesAgentsCommand(config: string | undefined, options: { limit?: string; forensic?: boolean }): Promise<{ agents: AgentMemoryCount[] }> {
  const limit = wholeNumber('--limit', options.limit);
  return withSubstrate(config, async (mem) => ({ agents: await mem.semantic.countByAgent(limit === undefined ? {} : { limit }) }), {
    ...open,
    forensic: options.forensic === true,
  });
}

/**
 * `memstrate erase --agent ID`: asks for confirmation on a terminal (or takes --yes), then erases
 * and returns the receipt. Without a terminal and without --yes it refuses.
 */
export async function eraseCommand(
  config: string | undefined,
  options: { agent?: string; filter?: string; keepUsage?: boolean; yes?: boolean },
  confirm: (question: string) => Promise<boolean>,
): Promise<ErasureReceipt> {
  if (options.agent === undefined) fail('say --agent <id>: the agent whose data to erase');
  const agentId = options.agent as string;
  const filter = options.filter === undefined ? undefined : (selection({ agent: agentId, filter: options.filter }) as { filter?: MemoryFilter }).filter;
  const what = filter === undefined ? `every record of agent "${agentId}"${options.keepUsage ? ' (usage events kept)' : ''}` : `the memories of agent "${agentId}" matching ${options.filter}`;
  if (options.yes !== true && !(await confirm(`Erase ${what}? This cannot be undone. Type "yes": `))) fail('not confirmed: nothing was erased');
  return withSubstrate(config, (mem) => mem.erase({ agentId, ...(filter === undefined ? {} : { filter }), ...(options.keepUsage ? { keepUsage: true } : {}) }), open);
}
