/**
 * memstrate/langgraph — LangGraph.js adapters over an opened MemorySubstrate (peer dependencies
 * @langchain/langgraph-checkpoint and @langchain/core; the main `memstrate` entry never imports them).
 *
 * - MemstrateStore: LangGraph's BaseStore (long-term memory) on the semantic store.
 * - MemstrateCheckpointSaver: LangGraph's checkpointer on the main backend's checkpoint store.
 */
export { MemstrateStore, type MemstrateStoreOptions, type MemstratePutOperation, type MemstrateGetOperation, type MemstrateSearchOperation } from './memstrate-store.js';
export { MemstrateCheckpointSaver, type MemstrateCheckpointSaverOptions } from './checkpoint-saver.js';
