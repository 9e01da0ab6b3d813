import type { PairedDevice, PairedDeviceStore } from '../../contracts/device-store.js';
import { LIMITS } from '../../core/limits.js';
import { num, SqlStore } from './context.js';
import type { PairedDevicesTable } from './schema.js';

function toDevice(row: PairedDevicesTable): PairedDevice {
  return {
    deviceId: row.device_id,
    displayName: row.display_name,
    platform: row.platform,
    pairedAt: num(row.paired_at),
    lastSeen: num(row.last_seen),
    pushToken: row.push_token,
  };
}

/** Paired devices on a SQL engine. */
export class SqlDeviceStore extends SqlStore implements PairedDeviceStore {
  /** Every paired device, ordered by pairedAt, then deviceId. `pushToken` is `null` when none is stored. */
  async list(): Promise<PairedDevice[]> {
    return this.guard('device list', async () => {
      const rows = await this.engine.rows(
        this.engine.db.selectFrom('paired_devices').selectAll().orderBy('paired_at').orderBy('device_id').compile(),
      );
      return rows.map(toDevice);
    });
  }

  /**
   * Inserts the device or replaces every field of the stored one (an absent or `null` pushToken
   * erases a stored token).
   * @throws ValidationError for an empty/over-long id, name or platform, a non-string pushToken, or
   *   timestamps that are not non-negative integers (epoch ms); nothing is written.
   */
  async save(device: PairedDevice): Promise<void> {
    if (typeof device !== 'object' || device === null) this.v.fail('device must be an object');
    this.v.knownKeys('device.', device, ['deviceId', 'displayName', 'platform', 'pairedAt', 'lastSeen', 'pushToken']);
    const row: PairedDevicesTable = {
      device_id: this.v.id('deviceId', device.deviceId),
      display_name: this.v.text('displayName', device.displayName, LIMITS.labelLength),
      platform: this.v.text('platform', device.platform, LIMITS.labelLength),
      paired_at: this.v.timestamp('pairedAt', device.pairedAt),
      last_seen: this.v.timestamp('lastSeen', device.lastSeen),
      push_token: this.v.optionalText('pushToken', device.pushToken, LIMITS.textLength) ?? null,
    };
    await this.guard('device save', async () => {
      await this.engine.run(
        this.engine.db
          .insertInto('paired_devices')
          .values(row)
          .onConflict((oc) =>
            oc.column('device_id').doUpdateSet((eb) => ({
              display_name: eb.ref('excluded.display_name'),
              platform: eb.ref('excluded.platform'),
              paired_at: eb.ref('excluded.paired_at'),
              last_seen: eb.ref('excluded.last_seen'),
              push_token: eb.ref('excluded.push_token'),
            })),
          )
          .compile(),
      );
    });
  }

  /** Unpairs the device; true when one was removed. @throws ValidationError for a bad id. */
  async remove(deviceId: string): Promise<boolean> {
    this.v.id('deviceId', deviceId);
    return this.guard('device remove', async () => {
      return (await this.engine.run(this.engine.db.deleteFrom('paired_devices').where('device_id', '=', deviceId).compile())) > 0;
    });
  }
}
