import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BackendRegistry, loadConfig, MemorySubstrate, registeredBackends, type BackendDefinition } from '../../src/index.js';

const sqlite = registeredBackends().find((d) => d.name === 'sqlite') as BackendDefinition;

/** The built-in sqlite backend under another name (a real backend, registered like a plugin). */
function renamed(name: string, extra: Partial<BackendDefinition> = {}): BackendDefinition {
  const { flatKeys: _flat, ...rest } = sqlite;
  return { ...rest, name, description: `sqlite as ${name}`, ...extra };
}

function problems(fn: () => void): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
    return (error as { problems: string[] }).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('the backend registry', () => {
  it('registers the built-ins through the same call, in order', () => {
    expect(registeredBackends().map((d) => d.name)).toEqual(['sqlite', 'postgres', 'http', 'qdrant']);
  });

  it('refuses malformed definitions, listing every problem; the same definition twice is a no-op', () => {
    const registry = new BackendRegistry();
    const lite = renamed('lite');
    registry.register(lite);
    registry.register(lite);
    expect(registry.all().map((d) => d.name)).toEqual(['lite']);
    expect(problems(() => registry.register(renamed('lite')))).toEqual(['backend "lite": another backend is already registered under this name']);
    expect(problems(() => registry.register(renamed('embedding')))[0]).toMatch(/reserved/);
    expect(problems(() => registry.register(renamed('Bad_Name')))[0]).toMatch(/lowercase letters, digits and -/);
    const bare = problems(() => registry.register({ name: 'bare', description: 'x', options: {} as z.ZodObject } as BackendDefinition));
    expect(bare).toEqual(['backend "bare": options must be a zod object schema (z.strictObject({...}))', 'backend "bare": provides neither a main nor a semantic facet']);
    const clash = problems(() => registry.register(renamed('clash', { flatKeys: { decayRate: 'path', clashPath: 'nope' } as never })));
    expect(clash).toEqual(['backend "clash": flat key "decayRate" is a substrate-wide key', 'backend "clash": flat key "clashPath" names no option ("nope")']);
  });

  it('open() and loadConfig() take a registry of their own: only its backends can be named', async () => {
    const registry = new BackendRegistry();
    registry.register(renamed('lite'));
    const unknown = await loadConfig({ backend: 'sqlite' }, { env: {}, backends: registry }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'CONFIG_INVALID', problems: ['backend: unknown main backend "sqlite"; registered main backends: "lite"'] });
    const mem = await MemorySubstrate.open({ backend: 'lite', lite: { path: ':memory:' } }, { env: {}, backends: registry });
    try {
      expect(mem.info).toMatchObject({ backend: 'lite', semanticBackend: 'lite' });
      await mem.set('a', 'k', 1);
      expect((await mem.audit.entries({})).map((e) => e.action)).toEqual(['kv.set']);
    } finally {
      await mem.close();
    }
  });
});
