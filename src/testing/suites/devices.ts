import { expect, it } from 'vitest';
import type { PairedDevice } from '../../contracts/device-store.js';
import { defineSuite } from '../conformance.js';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);

function device(id: string, overrides: Partial<PairedDevice> = {}): PairedDevice {
  return { deviceId: id, displayName: `Phone ${id}`, platform: 'ios', pairedAt: T0, lastSeen: T0 + 1000, pushToken: `token-${id}`, ...overrides };
}

export const devicesSuite = defineSuite('devices', ({ open }) => {
  it('saves devices and lists them back with every field', async () => {
    const mem = (await open()).mem;
    expect(await mem.devices.list()).toEqual([]);
    await mem.devices.save(device('d1'));
    expect(await mem.devices.list()).toStrictEqual([
      { deviceId: 'd1', displayName: 'Phone d1', platform: 'ios', pairedAt: T0, lastSeen: T0 + 1000, pushToken: 'token-d1' },
    ]);
  });

  it('reports an absent push token as null', async () => {
    const mem = (await open()).mem;
    const { pushToken: _omit, ...withoutToken } = device('d1');
    await mem.devices.save(withoutToken);
    expect((await mem.devices.list())[0]?.pushToken).toBeNull();
  });

  it('save replaces every field; an absent or null push token erases the stored one', async () => {
    const mem = (await open()).mem;
    await mem.devices.save(device('d1'));
    await mem.devices.save({ deviceId: 'd1', displayName: 'Renamed', platform: 'android', pairedAt: T0 + 5, lastSeen: T0 + 9000 });
    expect(await mem.devices.list()).toStrictEqual([
      { deviceId: 'd1', displayName: 'Renamed', platform: 'android', pairedAt: T0 + 5, lastSeen: T0 + 9000, pushToken: null },
    ]);
    await mem.devices.save(device('d1', { pushToken: 'fresh' }));
    expect((await mem.devices.list())[0]?.pushToken).toBe('fresh');
    await mem.devices.save(device('d1', { pushToken: null }));
    expect((await mem.devices.list())[0]?.pushToken).toBeNull();
    expect(await mem.devices.list()).toHaveLength(1);
  });

  it('lists ordered by pairedAt, then deviceId', async () => {
    const mem = (await open()).mem;
    await mem.devices.save(device('c', { pairedAt: T0 + 10 }));
    await mem.devices.save(device('b', { pairedAt: T0 }));
    await mem.devices.save(device('a', { pairedAt: T0 + 10 }));
    await mem.devices.save(device('z', { pairedAt: T0 - 10 }));
    expect((await mem.devices.list()).map((d) => d.deviceId)).toEqual(['z', 'b', 'a', 'c']);
  });

  it('remove reports whether a device was removed', async () => {
    const mem = (await open()).mem;
    await mem.devices.save(device('d1'));
    await mem.devices.save(device('d2'));
    expect(await mem.devices.remove('d1')).toBe(true);
    expect(await mem.devices.remove('d1')).toBe(false);
    expect(await mem.devices.remove('unknown')).toBe(false);
    expect((await mem.devices.list()).map((d) => d.deviceId)).toEqual(['d2']);
  });

  it('rejects bad devices with VALIDATION and writes nothing', async () => {
    const mem = (await open()).mem;
    await mem.devices.save(device('d1'));
    const bad: unknown[] = [
      null,
      'd1',
      device('', {}),
      { ...device('d1'), deviceId: 5 },
      device('d1', { displayName: '' }),
      device('d1', { displayName: 7 as unknown as string }),
      device('d1', { platform: '' }),
      device('d1', { pairedAt: -1 }),
      device('d1', { pairedAt: 1.5 }),
      device('d1', { pairedAt: '2026-11-21' as unknown as number }),
      device('d1', { lastSeen: NaN }),
      device('d1', { lastSeen: undefined as unknown as number }),
      device('d1', { pushToken: 42 as unknown as string }),
      device('d1', { pushToken: '' }),
      device('d2', { platform: 'x'.repeat(257) }),
    ];
    for (const input of bad) {
      await expect(mem.devices.save(input as PairedDevice)).rejects.toMatchObject({ code: 'VALIDATION' });
    }
    await expect(mem.devices.remove('')).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await mem.devices.list()).toStrictEqual([
      { deviceId: 'd1', displayName: 'Phone d1', platform: 'ios', pairedAt: T0, lastSeen: T0 + 1000, pushToken: 'token-d1' },
    ]);
  });

  it('keeps devices across a restart', async () => {
    const inst = await open();
    await inst.mem.devices.save(device('d1'));
    await inst.mem.devices.save(device('d2', { pushToken: null, pairedAt: T0 + 1 }));
    const before = await inst.mem.devices.list();
    await inst.reopen();
    expect(await inst.mem.devices.list()).toStrictEqual(before);
    expect(before.map((d) => d.deviceId)).toEqual(['d1', 'd2']);
  });
});
