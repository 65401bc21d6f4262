import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { PlexusError } from '../../src/core/errors.js';
import {
  DEFAULT_PROFILE_SPEC,
  type Device,
  type Group,
  type Profile,
  type StoredCredential,
  type Tenant,
} from '../../src/registry/model.js';
import type { Page, Stores } from '../../src/store/index.js';

/** What every contract suite is given: a factory of fresh, empty stores. */
export interface ContractOptions {
  readonly name: string;
  readonly create: () => Promise<{ stores: Stores; close(): Promise<void> }>;
  readonly skip?: string;
}

const T0 = '2024-01-01T00:00:00.000Z';
const TIMES = { createdAt: T0, updatedAt: T0 };
export const tenant = (id: string, name = `Tenant ${id}`): Tenant => ({ id, name, ...TIMES });
export const profile = (id: string, over: Partial<Profile> = {}): Profile => {
  return { ...DEFAULT_PROFILE_SPEC, id, name: `Profile ${id}`, description: '', ...TIMES, ...over };
};
const group = (id: string, over: Partial<Group> = {}): Group => {
  return { id, name: `Group ${id}`, description: `about ${id}`, ...TIMES, ...over };
};
const device = (id: string, over: Partial<Device> = {}): Device => {
  const base = { profile: 'default', groups: [], labels: {}, enabled: true, status: 'unknown' as const };
  return { id, name: `Device ${id}`, ...base, lastSeen: null, firmware: null, ...TIMES, ...over };
};
/** The secret hash is derived from the id, so a read-back can be checked byte for byte. */
const cred = (id: string, createdAt = T0): StoredCredential => {
  return {
    id,
    kind: 'secret',
    createdAt,
    lastUsedAt: null,
    secretHash: createHash('sha256').update(id).digest(),
  };
};

/** Asserts a rejection with the store's conflict error. */
export async function rejectsConflict(p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof PlexusError, `expected a PlexusError, got ${String(err)}`);
    assert.equal(err.code, 'STORE_CONFLICT');
    return true;
  });
}

/** Follows `nextAfter` from the first page; returns the ids of each page and checks the page contract. */
export async function pagedIds<T>(
  limit: number,
  fetch: (after: string | undefined) => Promise<Page<T>>,
  keyOf: (item: T) => string,
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = await fetch(after);
    const keys = page.items.map(keyOf);
    pages.push(keys);
    assert.ok(keys.length <= limit, `page of ${keys.length} exceeds limit ${limit}`);
    if (page.nextAfter === undefined) return pages;
    assert.equal(keys.length, limit, 'only a full page may announce another');
    assert.equal(page.nextAfter, keys[keys.length - 1], 'nextAfter is the key of the last item');
    assert.ok(pages.length < 100, 'pagination does not end');
    after = page.nextAfter;
  }
}

const byId = (x: { id: string }) => x.id;

export function runRegistryContract(opts: ContractOptions): void {
  describe(`RegistryStore contract: ${opts.name}`, opts.skip === undefined ? {} : { skip: opts.skip }, () => {
    let ctx: { stores: Stores; close(): Promise<void> };
    let s: Stores['registry'];
    beforeEach(async () => {
      ctx = await opts.create();
      s = ctx.stores.registry;
      await s.insertTenant(tenant('acme'), profile('default'));
      await s.insertTenant(tenant('globex'), profile('default'));
    });
    afterEach(() => ctx.close());

    const ids = async (filter: Parameters<typeof s.listDevices>[1], t = 'acme') =>
      (await s.listDevices(t, filter, { limit: 100 })).items.map(byId);

    test('a tenant round-trips with its default profile; unknown ids are undefined', async () => {
      assert.deepEqual(await s.getTenant('acme'), tenant('acme'));
      assert.deepEqual(await s.getProfile('acme', 'default'), profile('default'));
      assert.equal(await s.getTenant('initech'), undefined);
      const spec = profile('starter', { codec: 'cbor', retentionDays: 7 });
      await s.insertTenant(tenant('initech'), spec);
      assert.deepEqual(await s.getProfile('initech', 'starter'), spec);
    });

    test('a duplicate tenant is a conflict and leaves the first unchanged', async () => {
      await rejectsConflict(s.insertTenant(tenant('acme', 'Other'), profile('other')));
      assert.deepEqual(await s.getTenant('acme'), tenant('acme'));
      assert.equal(await s.getProfile('acme', 'other'), undefined);
    });

    test('tenants list in keyset pages ordered by id', async () => {
      for (const id of ['e', 'c', 'd']) await s.insertTenant(tenant(id), profile('default'));
      const fetch = (limit: number) => (after: string | undefined) => s.listTenants({ limit, after });
      assert.deepEqual(await pagedIds(2, fetch(2), byId), [['acme', 'c'], ['d', 'e'], ['globex']]);
      assert.deepEqual(await pagedIds(5, fetch(5), byId), [['acme', 'c', 'd', 'e', 'globex']]);
      assert.deepEqual(await pagedIds(9, fetch(9), byId), [['acme', 'c', 'd', 'e', 'globex']]);
    });

    test('updateTenant replaces name and updatedAt', async () => {
      const t = { ...tenant('acme'), name: 'Acme Corp', updatedAt: '2024-02-01T00:00:00.000Z' };
      await s.updateTenant(t);
      assert.deepEqual(await s.getTenant('acme'), t);
    });

    test('deleteTenant removes everything the tenant owns and nothing else', async () => {
      for (const t of ['acme', 'globex']) {
        await s.insertProfile(t, profile('p1'));
        await s.insertGroup(t, group('g1'));
        await s.insertDevice(t, device('d1', { profile: 'p1', groups: ['g1'] }), cred(`c-${t}`));
      }
      assert.equal(await s.deleteTenant('acme'), true);
      assert.equal(await s.deleteTenant('acme'), false);
      assert.equal(await s.getTenant('acme'), undefined);
      assert.deepEqual((await s.listTenants({ limit: 10 })).items.map(byId), ['globex']);
      // Recreating the id starts empty: nothing of the old tenant survived.
      await s.insertTenant(tenant('acme'), profile('default'));
      assert.deepEqual((await s.listProfiles('acme', { limit: 10 })).items.map(byId), ['default']);
      assert.deepEqual((await s.listGroups('acme', { limit: 10 })).items, []);
      assert.equal(await s.countDevices('acme'), 0);
      assert.deepEqual(await s.listCredentials('acme', 'd1'), []);
      assert.deepEqual((await s.getDevice('globex', 'd1'))?.groups, ['g1']);
      assert.deepEqual((await s.listCredentials('globex', 'd1')).map(byId), ['c-globex']);
      assert.deepEqual(await s.getProfile('globex', 'p1'), profile('p1'));
    });

    test('profiles: insert, get, list, update, delete, conflict', async () => {
      const p = profile('sensor', {
        telemetry: { temp: { type: 'number', unit: '°C', min: -40, max: 85 }, ok: { type: 'boolean' } },
        grants: { publish: ['m2m/a/#'], subscribe: ['m2m/b/+'] },
        limits: { messagesPerSecond: 5, bytesPerSecond: 500, burstSeconds: 1 },
      });
      await s.insertProfile('acme', p);
      assert.deepEqual(await s.getProfile('acme', 'sensor'), p);
      assert.equal(await s.getProfile('globex', 'sensor'), undefined);
      await rejectsConflict(s.insertProfile('acme', profile('sensor')));
      await s.insertProfile('acme', profile('aaa'));
      const fetch = (after: string | undefined) => s.listProfiles('acme', { limit: 2, after });
      assert.deepEqual(await pagedIds(2, fetch, byId), [['aaa', 'default'], ['sensor']]);
      const changed = { ...p, name: 'Sensor v2', description: 'new', inactivityTimeout: 60, telemetry: {} };
      await s.updateProfile('acme', changed);
      assert.deepEqual(await s.getProfile('acme', 'sensor'), changed);
      assert.equal(await s.deleteProfile('acme', 'sensor'), true);
      assert.equal(await s.deleteProfile('acme', 'sensor'), false);
      assert.equal(await s.getProfile('acme', 'sensor'), undefined);
    });

    test('groups: insert, get, list, update, delete, conflict, missingGroups', async () => {
      for (const id of ['g3', 'g1', 'g2']) await s.insertGroup('acme', group(id));
      await s.insertGroup('globex', group('gx'));
      assert.deepEqual(await s.getGroup('acme', 'g1'), group('g1'));
      assert.equal(await s.getGroup('globex', 'g1'), undefined);
      await rejectsConflict(s.insertGroup('acme', group('g1', { name: 'again' })));
      const fetch = (after: string | undefined) => s.listGroups('acme', { limit: 2, after });
      assert.deepEqual(await pagedIds(2, fetch, byId), [['g1', 'g2'], ['g3']]);
      const g = group('g1', { name: 'Line 1', description: 'd', updatedAt: '2024-03-01T00:00:00.000Z' });
      await s.updateGroup('acme', g);
      assert.deepEqual(await s.getGroup('acme', 'g1'), g);
      assert.deepEqual((await s.missingGroups('acme', ['g1', 'nope', 'gx', 'g3'])).sort(), ['gx', 'nope']);
      assert.deepEqual(await s.missingGroups('acme', []), []);
      assert.equal(await s.deleteGroup('acme', 'g1'), true);
      assert.equal(await s.deleteGroup('acme', 'g1'), false);
      assert.deepEqual(await s.missingGroups('acme', ['g1']), ['g1']);
    });

    test('deleting a group removes memberships but keeps the devices', async () => {
      await s.insertGroup('acme', group('g1'));
      await s.insertGroup('acme', group('g2'));
      await s.insertDevice('acme', device('d1', { groups: ['g1', 'g2'] }), cred('c'));
      await s.deleteGroup('acme', 'g1');
      assert.deepEqual((await s.getDevice('acme', 'd1'))?.groups, ['g2']);
      assert.deepEqual(await ids({ group: 'g1' }), []);
    });

    test('a device round-trips with sorted groups, labels, enabled and status fields', async () => {
      for (const g of ['b', 'a']) await s.insertGroup('acme', group(g));
      const d = device('press-7', {
        name: 'Press 7',
        groups: ['b', 'a'],
        labels: { site: 'north', 'plexus.io/zone': 'z-1' },
        enabled: false,
        status: 'online',
        lastSeen: '2024-05-01T10:00:00.000Z',
        firmware: '1.2.3',
      });
      await s.insertDevice('acme', d, cred('c1'));
      assert.deepEqual(await s.getDevice('acme', 'press-7'), { ...d, groups: ['a', 'b'] });
      assert.equal(await s.getDevice('globex', 'press-7'), undefined);
      assert.equal(await s.getDevice('acme', 'nope'), undefined);
      await rejectsConflict(s.insertDevice('acme', device('press-7'), cred('c2')));
      assert.deepEqual((await s.listCredentials('acme', 'press-7')).map(byId), ['c1']);
    });

    test('the same device id in two tenants are two devices; deleting one drops its credentials', async () => {
      await s.insertDevice('acme', device('d1', { name: 'Acme d1' }), cred('ca'));
      await s.insertCredential('acme', 'd1', cred('cb'));
      await s.insertDevice('globex', device('d1', { name: 'Globex d1' }), cred('cg'));
      assert.equal((await s.getDevice('globex', 'd1'))?.name, 'Globex d1');
      assert.equal(await s.deleteDevice('acme', 'd1'), true);
      assert.equal(await s.deleteDevice('acme', 'd1'), false);
      assert.equal(await s.getDevice('acme', 'd1'), undefined);
      assert.deepEqual(await s.listCredentials('acme', 'd1'), []);
      assert.equal((await s.getDevice('globex', 'd1'))?.name, 'Globex d1');
      assert.deepEqual((await s.listCredentials('globex', 'd1')).map(byId), ['cg']);
      // A new device of that id starts without the old credentials, and their ids are free again.
      await s.insertDevice('acme', device('d1'), cred('cb'));
      assert.deepEqual((await s.listCredentials('acme', 'd1')).map(byId), ['cb']);
    });

    test('updateDevice replaces fields and group memberships', async () => {
      for (const g of ['g1', 'g2', 'g3']) await s.insertGroup('acme', group(g));
      await s.insertProfile('acme', profile('p1'));
      await s.insertDevice('acme', device('d1', { groups: ['g1', 'g2'], labels: { a: '1' } }), cred('c'));
      const d = device('d1', {
        name: 'renamed',
        profile: 'p1',
        groups: ['g3', 'g2'],
        labels: { b: '2' },
        enabled: false,
        status: 'offline',
        lastSeen: '2024-06-01T00:00:00.000Z',
        firmware: '2.0.0',
        updatedAt: '2024-06-01T00:00:00.000Z',
      });
      await s.updateDevice('acme', d);
      assert.deepEqual(await s.getDevice('acme', 'd1'), { ...d, groups: ['g2', 'g3'] });
      assert.deepEqual(await ids({ group: 'g1' }), []);
      await s.updateDevice('acme', { ...d, groups: [] });
      assert.deepEqual((await s.getDevice('acme', 'd1'))?.groups, []);
    });

    test('setDeviceStatus changes status and lastSeen only', async () => {
      await s.insertDevice('acme', device('d1', { labels: { a: '1' } }), cred('c'));
      await s.setDeviceStatus('acme', 'd1', 'online', '2024-06-02T00:00:00.000Z');
      const d = await s.getDevice('acme', 'd1');
      assert.deepEqual(
        d,
        device('d1', { labels: { a: '1' }, status: 'online', lastSeen: '2024-06-02T00:00:00.000Z' }),
      );
      await s.setDeviceStatus('acme', 'missing', 'online', T0); // unknown ids are ignored
      assert.equal(await s.getDevice('acme', 'missing'), undefined);
    });

    test('listDevices filters by profile, group, status, labels (all must match); counts', async () => {
      await s.insertProfile('acme', profile('p1'));
      for (const g of ['g1', 'g2']) await s.insertGroup('acme', group(g));
      const add = (id: string, over: Partial<Device>) =>
        s.insertDevice('acme', device(id, over), cred(`c-${id}`));
      await add('d1', { profile: 'p1', groups: ['g1'], status: 'online', labels: { site: 'n', tier: '1' } });
      await add('d2', { groups: ['g1', 'g2'], status: 'offline', labels: { site: 'n', tier: '2' } });
      await add('d3', { profile: 'p1', groups: ['g2'], status: 'online', labels: { site: 's' } });
      await s.insertDevice('globex', device('d4', { status: 'online', labels: { site: 'n' } }), cred('c-d4'));
      assert.deepEqual(await ids({}), ['d1', 'd2', 'd3']);
      assert.deepEqual(await ids({ profile: 'p1' }), ['d1', 'd3']);
      assert.deepEqual(await ids({ group: 'g1' }), ['d1', 'd2']);
      assert.deepEqual(await ids({ status: 'online' }), ['d1', 'd3']);
      assert.deepEqual(await ids({ labels: { site: 'n' } }), ['d1', 'd2']);
      assert.deepEqual(await ids({ labels: { site: 'n', tier: '2' } }), ['d2']);
      assert.deepEqual(await ids({ labels: { site: 's', tier: '1' } }), []);
      assert.deepEqual(await ids({ labels: { site: 'east' } }), []);
      assert.deepEqual(await ids({ profile: 'p1', group: 'g2', status: 'online' }), ['d3']);
      assert.deepEqual(await ids({ group: 'g2', status: 'online', labels: { site: 'n' } }), []);
      assert.deepEqual(await ids({ group: 'nope' }), []);
      assert.equal(await s.countDevices('acme'), 3);
      assert.equal(await s.countDevices('globex'), 1);
      assert.equal(await s.countDevicesWithProfile('acme', 'p1'), 2);
      assert.equal(await s.countDevicesWithProfile('acme', 'default'), 1);
      assert.equal(await s.countDevicesWithProfile('globex', 'p1'), 0);
    });

    test('listDevices search is a case-insensitive substring of id or name, % and _ literal', async () => {
      const add = (id: string, name: string) => s.insertDevice('acme', device(id, { name }), cred(`c-${id}`));
      await add('press-7', 'Boiler Room');
      await add('pump-1', '100% ready');
      await add('pump-2', '1000 ready');
      await add('valve-1', 'x_y');
      await add('valve-2', 'xzy');
      assert.deepEqual(await ids({ search: 'BOILER' }), ['press-7']);
      assert.deepEqual(await ids({ search: 'PRESS' }), ['press-7']);
      assert.deepEqual(await ids({ search: 'pump' }), ['pump-1', 'pump-2']);
      assert.deepEqual(await ids({ search: '0%' }), ['pump-1']);
      assert.deepEqual(await ids({ search: '%' }), ['pump-1']);
      assert.deepEqual(await ids({ search: 'x_y' }), ['valve-1']);
      assert.deepEqual(await ids({ search: '_' }), ['valve-1']);
      assert.deepEqual(await ids({ search: 'ready' }, 'globex'), []);
    });

    test('listDevices search folds case beyond ASCII', async () => {
      await s.insertDevice('acme', device('cold-1', { name: 'Kühlraum Süd' }), cred('c-cold'));
      assert.deepEqual(await ids({ search: 'kühl' }), ['cold-1']);
      assert.deepEqual(await ids({ search: 'KÜHLRAUM SÜD' }), ['cold-1']);
    });

    test('listDevices pages through filtered results in id order', async () => {
      await s.insertGroup('acme', group('g'));
      for (const n of [5, 1, 4, 2, 3, 6]) {
        const groups = n === 4 ? [] : ['g'];
        await s.insertDevice('acme', device(`d${n}`, { groups, name: `sensor ${n}` }), cred(`c-${n}`));
      }
      const f = { group: 'g', search: 'SENSOR' };
      const fetch = (after: string | undefined) => s.listDevices('acme', f, { limit: 2, after });
      assert.deepEqual(await pagedIds(2, fetch, byId), [['d1', 'd2'], ['d3', 'd5'], ['d6']]);
    });

    test('credentials: insert, list in creation order, delete, conflict, bytes round-trip', async () => {
      await s.insertDevice('acme', device('d1'), cred('k2', '2024-01-01T00:00:01.000Z'));
      await s.insertCredential('acme', 'd1', cred('k1', '2024-01-01T00:00:03.000Z'));
      await s.insertCredential('acme', 'd1', cred('k3', '2024-01-01T00:00:02.000Z'));
      await rejectsConflict(s.insertCredential('acme', 'd1', cred('k1')));
      const list = await s.listCredentials('acme', 'd1');
      assert.deepEqual(list.map(byId), ['k2', 'k3', 'k1']);
      for (const c of list) {
        assert.ok(Buffer.isBuffer(c.secretHash));
        assert.ok(c.secretHash.equals(cred(c.id).secretHash), `secretHash of ${c.id}`);
      }
      assert.deepEqual(await s.listCredentials('globex', 'd1'), []);
      assert.equal(await s.deleteCredential('globex', 'd1', 'k1'), false);
      assert.equal(await s.deleteCredential('acme', 'd1', 'k1'), true);
      assert.equal(await s.deleteCredential('acme', 'd1', 'k1'), false);
      assert.deepEqual((await s.listCredentials('acme', 'd1')).map(byId), ['k2', 'k3']);
    });

    test('deleteOtherCredentials keeps one and returns the removed ids', async () => {
      await s.insertDevice('acme', device('d1'), cred('a'));
      await s.insertDevice('acme', device('d2'), cred('z'));
      for (const id of ['b', 'c']) await s.insertCredential('acme', 'd1', cred(id));
      assert.deepEqual((await s.deleteOtherCredentials('acme', 'd1', 'b')).sort(), ['a', 'c']);
      assert.deepEqual((await s.listCredentials('acme', 'd1')).map(byId), ['b']);
      assert.deepEqual(await s.deleteOtherCredentials('acme', 'd1', 'b'), []);
      assert.deepEqual((await s.listCredentials('acme', 'd2')).map(byId), ['z']);
    });

    test('touchCredential sets lastUsedAt of that credential only', async () => {
      await s.insertDevice('acme', device('d1'), cred('a'));
      await s.insertCredential('acme', 'd1', cred('b', '2024-01-01T00:00:01.000Z'));
      await s.touchCredential('acme', 'd1', 'a', '2024-07-01T00:00:00.000Z');
      const used = (await s.listCredentials('acme', 'd1')).map((c) => [c.id, c.lastUsedAt]);
      assert.deepEqual(Object.fromEntries(used), { a: '2024-07-01T00:00:00.000Z', b: null });
    });
  });
}
