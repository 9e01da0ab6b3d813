/** Schemas of the paired-device store. */
import { z } from 'zod';
import { EpochMs, Id, named } from './common.js';

export const PairedDevice = named(
  'PairedDevice',
  z.object({
    deviceId: z.string(),
    displayName: z.string(),
    platform: z.string(),
    pairedAt: EpochMs,
    lastSeen: EpochMs,
    pushToken: z.string().nullish(),
  }),
);
export const DevicePut = named(
  'DevicePut',
  z.object({
    deviceId: Id.optional().describe('Must equal the path id when given.'),
    displayName: z.string(),
    platform: z.string(),
    pairedAt: EpochMs,
    lastSeen: EpochMs,
    pushToken: z.string().nullish().describe('null/absent erases a stored token (the save replaces every field).'),
  }),
);
export const DeviceList = named('DeviceList', z.object({ devices: z.array(PairedDevice) }));
export const DeviceParams = z.strictObject({ deviceId: Id });
