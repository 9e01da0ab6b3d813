/** memstrate/server — the HTTP gateway, for embedding it in your own process. */
export { createGateway, DEFAULT_BODY_LIMIT, type GatewayOptions } from './app.js';
export { serve, DEFAULT_HOST, DEFAULT_PORT, type RunningGateway, type ServeOptions } from './serve.js';
export { errorFromWire, toWireError } from '../wire/errors.js';
export { startConsolidationSchedule, type ConsolidationSchedule } from '../core/consolidation-schedule.js';
