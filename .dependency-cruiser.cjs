/**
 * memstrate's layers, checked on every `npm test` (`npm run deps`). The drawing in README.md
 * ("Architecture — where things go") and the code cannot drift apart: a forbidden arrow fails the run.
 *
 *   contracts   types and interfaces only: import nothing of ours but other contracts
 *   errors      the MemoryError family: imports nothing of ours
 *   config      config schemas and loading: contracts, errors
 *   core        logic written once: contracts, errors, config types — never a backend, the wire,
 *               assembly, the server or the CLI
 *   embedders   contracts, errors, config, core
 *   wire        request/response shapes: contracts, errors, core — never server, backends, assembly
 *   backends/*  each backend in its own folder (sql/ shared by the SQL engines); never assembly,
 *               server, CLI or testing
 *   assembly    registry + opening + audit wrapping: everything below, never server, CLI or testing
 *   server, mcp, cli        the ways in, on top (mcp: the MCP tools over the substrate; never
 *                           the CLI or testing)
 *   testing     the conformance kit (memstrate/testing): the public entry point (src/index.ts),
 *               contracts, assembly and backends; nothing imports it but itself, and it never
 *               reaches into test/
 *   langgraph   the LangGraph.js adapters (memstrate/langgraph): the public entry point, contracts
 *               and errors only; the only place that imports @langchain packages (optional peers),
 *               and nothing of ours imports it
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'No import cycles anywhere (type-only imports included).',
      from: { path: '^(src|migrations)/' },
      to: { circular: true },
    },
    {
      name: 'contracts-import-nothing',
      severity: 'error',
      comment: 'contracts/ holds types and interfaces only and imports nothing of ours but other contracts.',
      from: { path: '^src/contracts/' },
      to: { path: '^(src|migrations)/', pathNot: '^src/contracts/' },
    },
    {
      name: 'errors-import-nothing',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^(src|migrations)/' },
    },
    {
      name: 'config-below-core',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/(core|backends|assembly|server|cli|wire|embedders|testing)/' },
    },
    {
      name: 'core-imports-no-backend',
      severity: 'error',
      comment: 'core/ is logic written once for every backend: it imports no backend, no wire shape, no assembly, server, CLI or testing.',
      from: { path: '^src/core/' },
      to: { path: '^(src/(backends|assembly|server|cli|wire|embedders|testing)/|migrations/)' },
    },
    {
      name: 'wire-below-server-and-backends',
      severity: 'error',
      comment: 'wire/ is shared by the server and the http backend, so it imports neither.',
      from: { path: '^src/wire/' },
      to: { path: '^src/(backends|assembly|server|cli|embedders|testing)/' },
    },
    {
      name: 'backends-below-assembly',
      severity: 'error',
      comment: 'A backend never reaches up into assembly, the server, the CLI or the testing kit.',
      from: { path: '^src/backends/' },
      to: { path: '^src/(assembly|server|cli|testing)/' },
    },
    {
      name: 'backends-independent',
      severity: 'error',
      comment: 'Each backend lives in its own folder; only sql/ (shared by the SQL engines) and semantic-row.ts are shared.',
      from: { path: '^src/backends/([^/]+)/' },
      to: { path: '^src/backends/([^/]+)/', pathNot: ['^src/backends/$1/', '^src/backends/sql/'] },
    },
    {
      name: 'assembly-below-the-ways-in',
      severity: 'error',
      from: { path: '^src/assembly/' },
      to: { path: '^src/(server|cli|testing)/' },
    },
    {
      name: 'mcp-not-cli',
      severity: 'error',
      from: { path: '^src/mcp/' },
      to: { path: '^src/(cli|testing)/' },
    },
    {
      name: 'server-not-cli',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/(cli|testing)/' },
    },
    {
      name: 'testing-imported-by-nothing',
      severity: 'error',
      comment: 'The conformance kit (memstrate/testing) sits on top: nothing but src/testing/ itself imports it.',
      from: { path: '^(src|migrations)/', pathNot: '^src/testing/' },
      to: { path: '^src/testing/' },
    },
    {
      name: 'testing-on-the-public-surface',
      severity: 'error',
      comment: 'The kit runs suites written against the contracts: it imports src/index.ts, contracts, assembly and backends (never core, config, wire, embedders, the server or the CLI), and never test/.',
      from: { path: '^src/testing/' },
      to: { path: '^(src/(core|config|wire|embedders|server|cli)/|test/|migrations/)' },
    },
    {
      name: 'langchain-only-in-langgraph',
      severity: 'error',
      comment: 'The @langchain packages are optional peer dependencies: only src/langgraph/ (memstrate/langgraph) imports them, so the main entry never needs them.',
      from: { path: '^(src|migrations)/', pathNot: '^src/langgraph/' },
      to: { path: '(^|/)node_modules/@langchain/' },
    },
    {
      name: 'langgraph-on-the-public-surface',
      severity: 'error',
      comment: 'memstrate/langgraph is written against the public surface: src/index.ts, contracts and errors, never core, backends, assembly or the ways in.',
      from: { path: '^src/langgraph/' },
      to: { path: '^(src/(core|config|wire|embedders|backends|assembly|server|cli|mcp|testing)/|migrations/)' },
    },
    {
      name: 'langgraph-imported-by-nothing',
      severity: 'error',
      comment: 'memstrate/langgraph sits on top: nothing but src/langgraph/ itself imports it.',
      from: { path: '^(src|migrations)/', pathNot: '^src/langgraph/' },
      to: { path: '^src/langgraph/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
