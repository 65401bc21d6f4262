import type { Info } from '../../api/types';

/** How a device logs in over MQTT: its id, plus @tenant outside the default tenant. */
export function mqttUser(id: string, tenant: string | undefined): string {
  return tenant && tenant !== 'default' ? `${id}@${tenant}` : id;
}

/** A ready-to-paste mosquitto_pub for this device and topic. */
export function publishExample(
  id: string,
  tenant: string | undefined,
  mqtt: Info['mqtt'] | undefined,
  topic: string,
  payload: string,
): string {
  const host = window.location.hostname || 'localhost';
  return `mosquitto_pub -h ${host} -p ${mqtt?.tcp ?? 1883} -i ${id} -u ${mqttUser(id, tenant)} -P "$SECRET" -q 1 \\\n  -t devices/${id}/${topic} -m '${payload}'`;
}
