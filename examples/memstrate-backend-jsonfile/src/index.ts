/** memstrate-backend-jsonfile — a memstrate semantic backend that keeps memories in one JSON file. */
export { jsonfileBackend } from './backend.js';
export { jsonfileOptions, type JsonfileOptions } from './config.js';
export { JsonFileSemanticBackend, MAX_DIMENSIONS } from './store.js';
