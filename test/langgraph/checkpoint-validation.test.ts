/**
 * LangGraph's official checkpointer validation suite (@langchain/langgraph-checkpoint-validation)
 * against MemstrateCheckpointSaver on both main engines: a SQLite temp file and the PostgreSQL
 * server (an own schema). One substrate per engine; each checkpointer the suite creates is a fresh
 * agent, so their threads are isolated (threads are kept per agent) without clearing anything.
 * The package's opt-in getDeltaChannelHistory tests run too.
 */
import { randomUUID } from 'node:crypto';
import { deltaChannelHistoryTests, validate, type CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { it } from 'vitest';
import { MemstrateCheckpointSaver } from '../../src/langgraph/index.js';
import { figure } from '../helpers/figure.js';
import { installTestGlobals, openFresh, type MainEngine, type Opened } from './fixture.js';

installTestGlobals();

for (const main of ['sqlite', 'postgres'] as MainEngine[]) {
  let opened: Opened | undefined;
  const initializer: CheckpointSaverTestInitializer<MemstrateCheckpointSaver> = {
    checkpointerName: `MemstrateCheckpointSaver (${main} main backend)`,
    beforeAllTimeout: 30_000,
    async beforeAll() {
      opened = await openFresh(main);
    },
    async afterAll() {
      await opened?.close();
    },
    createCheckpointer() {
      if (!opened) throw new Error('the substrate did not open');
      return new MemstrateCheckpointSaver(opened.mem, { agentId: `validation-${randomUUID()}` });
    },
  };
  validate(initializer);
  // Opt-in in the package (getDeltaChannelHistory is beta): the walk over this saver's real storage.
  deltaChannelHistoryTests(initializer);
  // Runs after the suite above (definition order): names the engine it ran on in the run summary.
  it(`the validation suite ran on the ${main} main backend`, (context) => {
    figure(context, `LangGraph checkpoint validation (+ delta-history tests): MemstrateCheckpointSaver on ${opened?.engine}`);
  });
}
