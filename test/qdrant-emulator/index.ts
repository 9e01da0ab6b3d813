export { startQdrantEmulator, QDRANT_VERSION, type QdrantEmulator, type QdrantEmulatorOptions } from './server.js';
