import { registeredBackends, type SemanticCapabilities } from '../../src/index.js';
import type { CellCapabilities } from './cells.js';

/** What the registered definition of a semantic backend declares (the suite never asks a backend's name). */
export function declaredSemantic(name: string): SemanticCapabilities {
  const capabilities = registeredBackends().find((d) => d.name === name)?.semantic?.capabilities;
  if (!capabilities) throw new Error(`no semantic backend "${name}" is registered`);
  return capabilities;
}

/** The capabilities a cell derives from its semantic backend's declaration. */
export function semanticCellCapabilities(name: string): Pick<CellCapabilities, 'exactVectorSearch' | 'vectorSpaceMigration'> {
  const declared = declaredSemantic(name);
  return { exactVectorSearch: declared.vectorSearch === 'exact', vectorSpaceMigration: declared.vectorSpaceMigration === true };
}
