/** Schemas of the paired-device store. */
import { z } from 'zod';
import type * as C from '../contracts/device-store.js';
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
  }) satisfies z.ZodType<C.PairedDevice>,
);
export const DevicePut = named(
  'DevicePut',
  z.strictObject({
    deviceId: Id.optional().describe('Must equal the path id when given.'),
    displayName: z.string(),
    platform: z.string(),
    pairedAt: EpochMs,
    lastSeen: EpochMs,
    pushToken: z.string().nullish().describe('null/absent erases a stored token (the save replaces every field).'),
  }) satisfies z.ZodType<Omit<C.PairedDevice, 'deviceId'> & { deviceId?: string }>,
);
export const DeviceList = named('DeviceList', z.object({ devices: z.array(PairedDevice) }));
export const DeviceParams = z.strictObject({ deviceId: Id });
