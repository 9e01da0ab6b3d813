/** The paired-device store under `/v1/devices…`. */
import type { MemorySubstrate } from '../../assembly/substrate.js';
import { ValidationError } from '../../errors.js';
import type { RouteTable } from '../route.js';
import { DeletedResponse } from '../../wire/common.js';
import { DeviceList, DeviceParams, DevicePut } from '../../wire/devices.js';

const DEVICES = 'devices';

export function deviceRoutes(table: RouteTable, mem: MemorySubstrate): void {
  table.add({
    method: 'GET',
    url: '/v1/devices',
    access: { scope: 'admin' },
    operationId: 'listDevices',
    tag: DEVICES,
    summary: 'Every paired device, by pairedAt then deviceId.',
    status: 200,
    response: DeviceList,
    async handler() {
      return { devices: await mem.devices.list() };
    },
  });

  table.add({
    method: 'PUT',
    url: '/v1/devices/:deviceId',
    access: { scope: 'admin' },
    operationId: 'saveDevice',
    tag: DEVICES,
    summary: 'Save a device (upsert replacing every field).',
    params: DeviceParams,
    body: DevicePut,
    status: 204,
    async handler({ params, body }) {
      if (body.deviceId !== undefined && body.deviceId !== params.deviceId) {
        throw new ValidationError(`body deviceId ${JSON.stringify(body.deviceId)} does not match the path ${JSON.stringify(params.deviceId)}`, { backend: 'gateway' });
      }
      await mem.devices.save({ ...body, deviceId: params.deviceId });
    },
  });

  table.add({
    method: 'DELETE',
    url: '/v1/devices/:deviceId',
    access: { scope: 'admin' },
    operationId: 'removeDevice',
    tag: DEVICES,
    summary: 'Unpair a device.',
    params: DeviceParams,
    status: 200,
    response: DeletedResponse,
    async handler({ params }) {
      return { deleted: await mem.devices.remove(params.deviceId) };
    },
  });
}
