import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '../rng.js';
import { createFleetPack, fleetPack } from './fleet.js';
import { DEPOT, DEPOT_AREA, ROUTES } from './fleet-city.js';
import { haversineMetres, insidePolygon, Route } from './fleet-route.js';
import { L_PER_KM, TANK_L, Truck } from './fleet-truck.js';
import { replayRules } from './rule-replay.js';

const rules = fleetPack.rules({ speed: 1 });
const route = ROUTES[0] as Route;

describe('fleet geography', () => {
  test('haversine: one degree of latitude is about 111.2 km; Lyon to Paris about 392 km', () => {
    assert.ok(Math.abs(haversineMetres([45, 4], [46, 4]) - 111_195) < 10);
    assert.ok(Math.abs(haversineMetres([45.764, 4.8357], [48.8566, 2.3522]) - 392_000) < 3000);
  });

  test('a route is a loop: positions interpolate along legs and wrap round', () => {
    const r = new Route('square', [
      { name: 'a', at: [0, 0], limit: 50 },
      { name: 'b', at: [0, 0.01], limit: 90 },
    ]);
    const leg = haversineMetres([0, 0], [0, 0.01]);
    assert.ok(Math.abs(r.length - 2 * leg) < 1e-6);
    const mid = r.at(leg / 2);
    assert.deepEqual(
      [mid.at[0], Math.round(mid.at[1] * 1e6) / 1e6, mid.limit, Math.round(mid.heading)],
      [0, 0.005, 50, 90],
    );
    const back = r.at(leg * 1.5);
    assert.deepEqual(
      [Math.round(back.at[1] * 1e6) / 1e6, back.limit, Math.round(back.heading)],
      [0.005, 90, 270],
    );
    assert.deepEqual(r.at(r.length * 3).at, [0, 0]);
  });

  test('the depot: its gate is inside the fence, every route starts there and leaves it', () => {
    assert.ok(insidePolygon(DEPOT, DEPOT_AREA));
    for (const r of ROUTES) {
      assert.deepEqual(r.at(0).at, DEPOT);
      assert.ok(!insidePolygon(r.at(1000).at, DEPOT_AREA), `${r.name} leaves the depot within 1 km`);
      assert.ok(r.length > 15_000 && r.length < 120_000, `${r.name}: ${Math.round(r.length / 1000)} km`);
    }
  });
});

describe('trucks', () => {
  test('a normal truck: leaves, drives its loop within the limiter, burns diesel by distance, comes back', () => {
    const t = new Truck(route, mulberry32(1), {}, 60);
    const r = replayRules(rules, t, { dtS: 5, untilS: 3 * 3600 });
    const speeds = r.sent.map((s) => s.values?.speed as number);
    assert.ok(Math.max(...speeds) <= 90, `max ${Math.max(...speeds)} km/h`);
    assert.ok(Math.max(...speeds) > 80, 'it reaches motorway speed');
    assert.ok(r.of('fleet-depot-exit').length >= 1, 'left the depot');
    assert.ok(r.of('fleet-depot-enter').length >= 1, 'came back');
    assert.deepEqual(
      r.firings.filter((f) => !f.rule.startsWith('fleet-depot')).map((f) => f.rule),
      [],
      'no other alarm',
    );
    const start = r.sent.findIndex((s) => (s.values?.speed as number) > 0);
    const back = r.of('fleet-depot-enter')[0]?.at as number;
    const first = r.sent[start]?.values as { odometer: number; fuel: number };
    const before = r.sent.find((s) => s.t >= back + 60)?.values as { odometer: number; fuel: number };
    const km = before.odometer - first.odometer;
    const litres = ((first.fuel - before.fuel) / 100) * TANK_L;
    assert.ok(km > 10, `${km} km`);
    assert.ok(litres >= km * L_PER_KM * 0.99 && litres < km * L_PER_KM * 1.1, `${litres} L for ${km} km`);
  });

  test('faults: the speeder, the nearly empty truck, the breakdown, the silent tracker', () => {
    const pack = createFleetPack({
      breakdownAtS: 900,
      breakdownForS: 1500,
      silentAtS: 600,
      silentForS: 1200,
      departEveryS: 0,
    });
    const run = (i: number) =>
      replayRules(rules, pack.model(pack.devices(4)[i]!, i, { speed: 1 }, mulberry32(10 + i)), {
        dtS: 5,
        untilS: 3600,
      });
    const speeder = run(0);
    assert.equal(speeder.of('fleet-speeding').length >= 1, true, 'speeding on the motorway');
    const empty = run(1);
    assert.equal(empty.of('fleet-low-fuel').length, 1, 'under 10 % once');
    const broken = run(2);
    const [stopped] = broken.of('fleet-stopped');
    assert.ok(
      stopped && stopped.at >= 900 + 600 && stopped.until !== undefined,
      JSON.stringify(broken.firings),
    );
    const silent = run(3);
    const [quiet] = silent.of('fleet-no-signal');
    assert.ok(
      quiet && quiet.at >= 600 + 900 - 5 && quiet.at <= 600 + 900 + 5,
      JSON.stringify(silent.firings),
    );
    assert.ok(silent.sent.some((s) => s.values === undefined));
    for (const r of [empty, broken, silent]) assert.equal(r.of('fleet-speeding').length, 0);
  });

  test('defaults by seed: trucks 1-4 carry the four faults; the same seed, the same trip', () => {
    const trip = (seed: number) => {
      const m = fleetPack.model(fleetPack.devices(1)[0]!, 0, { speed: 1 }, mulberry32(seed));
      return Array.from({ length: 200 }, () => m.step(0, 10));
    };
    assert.deepEqual(trip(5), trip(5));
    assert.notDeepEqual(trip(5), trip(6));
    const ids = fleetPack.devices(12).map((d) => d.id);
    assert.deepEqual(ids.slice(0, 3), ['fleet-truck-1', 'fleet-truck-2', 'fleet-truck-3']);
    assert.equal(new Set(ids).size, 12);
  });

  test('big steps (high --speed) are integrated in small ones', () => {
    const a = new Truck(route, mulberry32(3), {}, 0);
    const b = new Truck(route, mulberry32(3), {}, 0);
    a.step(0, 600);
    for (let i = 0; i < 300; i++) b.step(0, 2);
    assert.equal(a.distance, b.distance);
  });
});
