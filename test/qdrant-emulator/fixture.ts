/** Test helper: one emulator per test file, a real client against it, and raw fetch for envelopes. */
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll } from 'vitest';
import { startQdrantEmulator, type QdrantEmulator, type QdrantEmulatorOptions } from './index.js';

export interface Fixture {
  emulator: QdrantEmulator;
  client: QdrantClient;
  raw(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RawResponse>;
}
export interface RawResponse {
  status: number;
  text: string;
  json: { result?: unknown; status?: unknown; time?: number };
}

export function useEmulator(options: QdrantEmulatorOptions = {}): Fixture {
  const fixture = {} as Fixture;
  beforeAll(async () => {
    fixture.emulator = await startQdrantEmulator(options);
    fixture.client = new QdrantClient({ url: fixture.emulator.url, checkCompatibility: false, ...(options.apiKey ? { apiKey: options.apiKey } : {}) });
    fixture.raw = async (method, path, body, headers = {}) => {
      const res = await fetch(fixture.emulator.url + path, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let json: RawResponse['json'] = {};
      try {
        json = text === '' ? {} : (JSON.parse(text) as RawResponse['json']);
      } catch {
        json = {};
      }
      return { status: res.status, text, json };
    };
  });
  afterAll(async () => {
    await fixture.emulator?.close();
  });
  return fixture;
}

let counter = 0;
/** A fresh collection name per test. */
export const uniqueName = (prefix = 'c'): string => `${prefix}_${process.pid}_${++counter}`;

/** The status code of a client call that is expected to fail. */
export async function failure(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { status?: number; data?: { status?: { error?: string } }; message?: string };
    return { status: e.status ?? -1, message: e.data?.status?.error ?? e.message ?? '' };
  }
  throw new Error('expected the call to fail');
}
