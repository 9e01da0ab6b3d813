/** Importing this module registers the `jsonfile` backend with memstrate (`import 'memstrate-backend-jsonfile/register'`). */
import { registerBackend } from 'memstrate';
import { jsonfileBackend } from './backend.js';

registerBackend(jsonfileBackend);
