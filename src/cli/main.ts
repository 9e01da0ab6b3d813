#!/usr/bin/env node
/**
 * The `memstrate` command line: `memstrate [--config <file>] <command>`. Every command prints JSON
 * on stdout. Errors print `error <code>: <message>` on stderr (a stack trace only with
 * MEMSTRATE_DEBUG=1) and exit 1, or 2 for a broken audit chain (CHAIN_INTEGRITY); `import` with records
 * that failed prints its report, then `error IMPORT_FAILED: …`, and exits 1. `export` / `import` / `reembed` write
 * progress on stderr (a rewritten line on a terminal, plain lines otherwise, JSON lines with --json). `serve` runs until
 * SIGINT/SIGTERM and writes its logs (pino JSON lines) on stdout.
 */
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError } from 'commander';
import { ConfigError, MemoryError } from '../errors.js';
import { MEMSTRATE_VERSION } from '../version.js';
import { auditAdoptAnchorCommand, auditVerifyCommand, migrateCommand, retentionRunCommand, serveCommand, statsCommand } from './commands.js';
import { eraseCommand, memoriesAgentsCommand, memoriesCountCommand, memoriesListCommand, memoriesShowCommand, type ListOptions, type SelectOptions } from './memories.js';
import { backendsCommand, loadPlugins, pluginSpecifiers } from './plugins.js';
import { exportCommand, importCommand } from './archive.js';
import { reembedCommand, type ReembedCommandOptions } from './reembed.js';
import { indexCommand, type IndexCommandOptions } from './vector-index.js';

const EXIT_ERROR = 1;
const EXIT_CHAIN_INTEGRITY = 2;
/** Set by a command that printed its result but did not fully succeed (an import with failed records). */
let exitStatus = 0;

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Asks on the terminal; false without one (so a script must say --yes). */
async function confirmOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase() === 'yes';
  } finally {
    rl.close();
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Builds the program; each action prints its result. */
function buildProgram(): Command {
  const program = new Command('memstrate')
    .description('memstrate: a memory substrate for AI-agent runtimes')
    .version(MEMSTRATE_VERSION, '-V, --version', 'print the version')
    .option('-c, --config <file>', 'TOML configuration file with a [memory] table (default: ./data/memstrate.db and MEMSTRATE_* variables)')
    .option('--plugin <module>', 'import a backend plugin before running (repeatable; also MEMSTRATE_PLUGINS, comma-separated)', collect, [])
    .showHelpAfterError()
    .exitOverride()
    .hook('preAction', async (thisCommand) => {
      await loadPlugins(pluginSpecifiers((thisCommand.opts() as { plugin: string[] }).plugin));
    });

  const configOf = (command: Command): string | undefined => (command.optsWithGlobals() as { config?: string }).config;

  program
    .command('stats')
    .description('print backend info, health and counts as JSON')
    .option('--forensic', 'open read-only, even with a broken audit chain (info.forensic says where it broke); writes nothing')
    .action(async (options: { forensic?: boolean }, command: Command) => print(await statsCommand(configOf(command), { forensic: options.forensic === true })));

  program
    .command('backends')
    .description('list the registered backends (built-ins and plugins): options and declared capabilities')
    .action(() => print(backendsCommand()));

  program
    .command('migrate')
    .description('open the store, applying pending migrations, and print the schema version')
    .action(async (_options: unknown, command: Command) => print(await migrateCommand(configOf(command))));

  program
    .command('serve')
    .description('serve the substrate over HTTP (OpenFang memory-api wire + /v1 API) until SIGINT/SIGTERM')
    .option('-p, --port <port>', 'port to listen on (0 = any free port)', '8787')
    .option('-H, --host <host>', 'address to listen on; anything but loopback needs a bearer token', '127.0.0.1')
    .action(async (options: { port?: string; host?: string }, command: Command) => {
      const gateway = await serveCommand(configOf(command), options);
      await gateway.closed;
    });

  program
    .command('retention')
    .description('retention commands')
    .command('run')
    .description('remove what has expired (KV entries set with a ttl); prints how many')
    .action(async (_options: unknown, command: Command) => print(await retentionRunCommand(configOf(command))));

  const memories = program.command('memories').description('read memories: list, count, show, agents (--forensic: also from a store whose audit chain is broken)');
  const selecting = (command: Command): Command =>
    command
      .option('-a, --agent <agentId>', 'the agent whose memories to read')
      .option('--all-agents', "every agent's memories")
      .option('-f, --filter <json>', 'a filter as JSON, e.g. \'{"scope":"work","where":{"metadata.topic":{"$in":["a","b"]}}}\'')
      .option('--forensic', 'open read-only, even with a broken audit chain');
  selecting(memories.command('list').description('one page of memories (newest first); pass nextCursor back as --cursor'))
    .option('-o, --order <order>', 'createdAt (oldest first) or -createdAt (newest first, default)')
    .option('-n, --limit <n>', 'memories per page, 1..1000 (default 50)')
    .option('--cursor <cursor>', 'nextCursor of the previous page (same query)')
    .action(async (options: ListOptions, command: Command) => print(await memoriesListCommand(configOf(command), options)));
  selecting(memories.command('count').description('how many memories match')).action(async (options: SelectOptions, command: Command) =>
    print(await memoriesCountCommand(configOf(command), options)),
  );
  memories
    .command('show <id>')
    .description('one memory, with its vector')
    .option('--forensic', 'open read-only, even with a broken audit chain')
    .action(async (id: string, options: { forensic?: boolean }, command: Command) => print(await memoriesShowCommand(configOf(command), id, options)));
  memories
    .command('agents')
    .description('the agents that have memories (registered or not), most first')
    .option('-n, --limit <n>', 'agents to list, 1..10000 (default 1000)')
    .option('--forensic', 'open read-only, even with a broken audit chain')
    .action(async (options: { limit?: string; forensic?: boolean }, command: Command) => print(await memoriesAgentsCommand(configOf(command), options)));

  program
    .command('erase')
    .description("erasure: remove an agent's data from every store (or, with --filter, only matching memories) and print the receipt")
    .requiredOption('-a, --agent <agentId>', 'the agent whose data to erase')
    .option('-f, --filter <json>', 'only the memories matching this filter (JSON), nothing else')
    .option('--keep-usage', "keep the agent's usage events (cost records)")
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .action(async (options: { agent?: string; filter?: string; keepUsage?: boolean; yes?: boolean }, command: Command) =>
      print(await eraseCommand(configOf(command), options, confirmOnTerminal)),
    );

  program
    .command('export')
    .description('write a portable archive (NDJSON, gzip with --gzip) of every store, or of some agents / stores; progress on stderr, the summary as JSON')
    .requiredOption('-o, --out <file>', 'the archive file to write (written whole, then renamed into place)')
    .option('-a, --agent <agentId>', 'only this agent (repeatable)', collect, [])
    .option('-s, --store <store>', 'only this store (repeatable): structured, semantic, knowledge, sessions, usage, devices, tasks, audit', collect, [])
    .option('-z, --gzip', 'gzip the archive')
    .option('--json', 'progress as JSON lines on stderr')
    .option('--forensic', 'open read-only, even with a broken audit chain (the export then records no audit entry)')
    .action(async (options: { out?: string; agent?: string[]; store?: string[]; gzip?: boolean; json?: boolean; forensic?: boolean }, command: Command) =>
      print(await exportCommand(configOf(command), options)),
    );

  program
    .command('import <file>')
    .description('import an archive: validate all of it (an altered archive is refused), then write it in atomic batches; re-running resumes; prints the report')
    .option('--dry-run', 'validate and report, writing nothing')
    .option('--on-conflict <mode>', 'a record already present: skip (default), overwrite, or fail (reported per record)')
    .option('--batch-size <n>', 'records per atomic batch, 1..10000 (default 500)')
    .option('--json', 'progress as JSON lines on stderr')
    .action(async (file: string, options: { dryRun?: boolean; onConflict?: string; batchSize?: string; json?: boolean }, command: Command) => {
      const { report, failed } = await importCommand(configOf(command), file, options);
      print(report);
      if (failed > 0) {
        process.stderr.write(`error IMPORT_FAILED: ${failed} record(s) were not imported; the report names each with its reason\n`);
        exitStatus = EXIT_ERROR;
      }
    });

  program
    .command('reembed')
    .description(
      're-embed every memory with the configured embedder (or --provider/--model…) into a new vector space built beside the current one, which recall keeps using until the atomic switch; resumable; progress on stderr, the report as JSON',
    )
    .option('--provider <provider>', 'embedding provider of the new space: hash, openai, or none (none: reset an empty store)')
    .option('--model <model>', 'embedding model (openai-compatible servers)')
    .option('--dimensions <n>', 'vector dimensions of the new space')
    .option('--url <url>', 'base URL of an OpenAI-compatible embeddings server (e.g. Ollama: http://localhost:11434/v1)')
    .option('--batch-size <n>', 'memories per embedding call and written batch, 1..10000 (default 64)')
    .option('--drop-previous', 'drop the previous space after the switch (or now, without a run)')
    .option('--status', 'print the current, pending and previous vector spaces; change nothing')
    .option('--abort', 'abandon an unfinished re-embedding (its pending space and vectors)')
    .option('--json', 'progress as JSON lines on stderr')
    .action(async (options: ReembedCommandOptions, command: Command) => print(await reembedCommand(configOf(command), options)));

  program
    .command('index')
    .description(
      "approximate vector indexes (semantic_backend sqlite): --build an agent's (k-means cells over sign codes; recall uses it as [memory.sqlite] vector_search says), --drop one; prints every agent's index as JSON",
    )
    .option('--build <agentId>', "build or rebuild the agent's index, with progress on stderr")
    .option('--drop <agentId>', "drop the agent's index (its recall scans exactly again)")
    .option('--json', 'progress as JSON lines on stderr')
    .action(async (options: IndexCommandOptions, command: Command) => print(await indexCommand(configOf(command), options)));

  program
    .command('mcp')
    .description("serve an MCP server on stdin/stdout (remember, recall, forget, list_memories, kv_get/set/delete/list), scoped to one agent")
    .requiredOption('-a, --agent <agentId>', 'the agent every tool reads and writes')
    .action(async (options: { agent: string }, command: Command) => {
      const { MemorySubstrate } = await import('../assembly/substrate.js');
      const { serveMcpStdio } = await import('../mcp/stdio.js');
      const mem = await MemorySubstrate.open(configOf(command));
      await serveMcpStdio(mem, options.agent);
    });

  const audit = program.command('audit').description('audit log commands');
  audit
    .command('verify')
    .description('re-hash the whole audit chain; exit 2 if it is broken')
    .action(async (_options: unknown, command: Command) => print(await auditVerifyCommand(configOf(command))));
  audit
    .command('anchor')
    .description('recovery: with --adopt, re-verify the whole chain from genesis and make its tip the new anchor (recorded in the log)')
    .option('--adopt', 'replace the anchor after a full verify (a broken chain still fails, exit 2)')
    .action(async (options: { adopt?: boolean }, command: Command) => {
      if (!options.adopt) throw new ConfigError(['memstrate audit anchor: say --adopt to replace the anchor after a full verify']);
      print(await auditAdoptAnchorCommand(configOf(command)));
    });

  return program;
}

function report(error: unknown): number {
  const debug = process.env['MEMSTRATE_DEBUG'] === '1';
  const code = MemoryError.is(error) ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error ${code}: ${message}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return code === 'CHAIN_INTEGRITY' ? EXIT_CHAIN_INTEGRITY : EXIT_ERROR;
}

/** Runs the CLI on `argv` (as process.argv); resolves to the exit code. */
async function main(argv: readonly string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return exitStatus;
  } catch (error) {
    // Commander has already printed its own usage errors (and help / version output).
    if (error instanceof CommanderError) return error.exitCode;
    return report(error);
  }
}

process.exitCode = await main();
