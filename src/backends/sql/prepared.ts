import type { CompiledQuery } from 'kysely';

const MARK = '\u0000memstrate-param:';

type Slot = { name: string } | { value: unknown };

/**
 * Compiles a Kysely query once and returns a function that binds new parameter values to it, so hot
 * paths (KV get/set, audit append, claim) do not rebuild and recompile their SQL on every call.
 * Inside `build`, `p('name')` stands for a parameter; it must only appear where Kysely binds values.
 */
export function prepare<P extends string, R>(
  build: (p: (name: P) => never) => { compile(): CompiledQuery<R> },
): (values: Readonly<Record<P, unknown>>) => CompiledQuery<R> {
  const compiled = build(((name: P) => `${MARK}${name}`) as (name: P) => never).compile();
  const slots: Slot[] = compiled.parameters.map((v) =>
    typeof v === 'string' && v.startsWith(MARK) ? { name: v.slice(MARK.length) } : { value: v },
  );
  return (values) => ({
    ...compiled,
    parameters: slots.map((s) => ('name' in s ? values[s.name as P] : s.value)),
  });
}
