import type { EpochMs } from './types.js';

export interface PairedDevice {
  deviceId: string;
  displayName: string;
  platform: string;
  pairedAt: EpochMs;
  lastSeen: EpochMs;
  /** `null`/absent erases a stored token (save replaces every field). */
  pushToken?: string | null;
}

export interface PairedDeviceStore {
  /** Ordered by pairedAt, then deviceId. */
  list(): Promise<PairedDevice[]>;
  /** Upsert replacing every field. */
  save(device: PairedDevice): Promise<void>;
  remove(deviceId: string): Promise<boolean>;
}
