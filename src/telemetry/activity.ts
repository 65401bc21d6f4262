import type { Bus } from '../core/bus.js';
import type { Uplink } from '../core/envelope.js';
import type { DeviceProfiles } from './device-profiles.js';

interface DeviceActivity {
  tenant: string;
  device: string;
  /** Open connections (MQTT sessions) reported by transports. */
  connections: number;
  lastActivity: number;
  online: boolean;
}

/**
 * Online/offline for devices without a lasting connection (HTTP, later
 * CoAP): data makes a device online, silence longer than its profile's
 * inactivity timeout makes it offline. Both are announced as
 * `connected`/`disconnected` uplinks (via `activity`/`inactivity`), which
 * the registry records and the rule engine sees, and as `device-status`.
 * A device with an open connection is never inactive: the transport
 * reports its disconnect.
 */
export class Activity {
  readonly #bus: Bus;
  readonly #profiles: DeviceProfiles;
  readonly #now: () => number;
  readonly #devices = new Map<string, DeviceActivity>();

  constructor(bus: Bus, profiles: DeviceProfiles, now: () => number) {
    this.#bus = bus;
    this.#profiles = profiles;
    this.#now = now;
  }

  seen(u: Uplink): void {
    const k = `${u.tenant}\u0000${u.device}`;
    let a = this.#devices.get(k);
    if (!a) {
      a = { tenant: u.tenant, device: u.device, connections: 0, lastActivity: u.ts, online: false };
      this.#devices.set(k, a);
    }
    a.lastActivity = Math.max(a.lastActivity, u.ts);
    if (u.via === 'activity' || u.via === 'inactivity') return; // our own announcements
    if (u.kind === 'connected') {
      a.connections++;
      a.online = true;
      this.#status(a, 'online', 'connected');
      return;
    }
    if (u.kind === 'disconnected') {
      a.connections = Math.max(0, a.connections - 1);
      if (a.connections === 0) {
        a.online = false;
        this.#status(a, 'offline', 'disconnected');
      }
      return;
    }
    if (!a.online) {
      a.online = true;
      this.#announce(a, 'connected', 'activity');
    }
  }

  /** Marks silent, unconnected devices offline; run every few seconds. */
  async sweep(): Promise<void> {
    const now = this.#now();
    for (const [k, a] of this.#devices) {
      if (a.connections > 0) continue;
      if (!a.online) {
        // Offline and silent for a day: forget it (it comes back on its next uplink).
        if (now - a.lastActivity > 86_400_000) this.#devices.delete(k);
        continue;
      }
      const profile = await this.#profiles.of(a.tenant, a.device);
      if (!profile) {
        this.#devices.delete(k);
        continue;
      }
      if (now - a.lastActivity > profile.inactivityTimeout * 1000) {
        a.online = false;
        this.#announce(a, 'disconnected', 'inactivity');
      }
    }
  }

  forget(tenant: string, device?: string): void {
    if (device !== undefined) this.#devices.delete(`${tenant}\u0000${device}`);
    else for (const k of this.#devices.keys()) if (k.startsWith(`${tenant}\u0000`)) this.#devices.delete(k);
  }

  #announce(a: DeviceActivity, kind: 'connected' | 'disconnected', via: 'activity' | 'inactivity'): void {
    const ts = this.#now();
    this.#bus.publish('uplink', { kind, tenant: a.tenant, device: a.device, ts, data: { reason: via }, via });
    this.#status(
      a,
      kind === 'connected' ? 'online' : 'offline',
      via === 'activity' ? 'activity' : 'inactive',
    );
  }

  #status(
    a: DeviceActivity,
    status: 'online' | 'offline',
    reason: 'connected' | 'disconnected' | 'activity' | 'inactive',
  ): void {
    this.#bus.publish('device-status', {
      tenant: a.tenant,
      device: a.device,
      status,
      reason,
      ts: this.#now(),
    });
  }
}
