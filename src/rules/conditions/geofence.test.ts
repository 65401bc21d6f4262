import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createGeofence,
  EARTH_RADIUS_M,
  type GeofenceState,
  haversineMetres,
  insidePolygon,
} from './geofence.js';
import type { Signal } from './types.js';

const pt = (key: string, ts: number, value: number | string | boolean): Signal => ({
  kind: 'point',
  key,
  ts,
  value,
});
const lat = (ts: number, v: number) => pt('lat', ts, v);
const lon = (ts: number, v: number | string) => pt('lon', ts, v);
const restart = (s: GeofenceState): GeofenceState => JSON.parse(JSON.stringify(s));
const near = (actual: number, expected: number, tolerance: number) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected} ± ${tolerance}`);

test('haversineMetres: known distances', () => {
  const paris = { lat: 48.8566, lon: 2.3522 };
  const london = { lat: 51.5074, lon: -0.1278 };
  near(haversineMetres(paris, london), 343_500, 1000);
  assert.equal(haversineMetres(paris, london), haversineMetres(london, paris));
  assert.equal(haversineMetres(paris, paris), 0);
  near(haversineMetres({ lat: 0, lon: 0 }, { lat: 1, lon: 0 }), (EARTH_RADIUS_M * Math.PI) / 180, 1e-6); // 111,195.08 m
  near(haversineMetres({ lat: 0, lon: 0 }, { lat: 0, lon: 180 }), EARTH_RADIUS_M * Math.PI, 1e-6); // antipodes
  near(haversineMetres({ lat: 60, lon: 0 }, { lat: 60, lon: 1 }), 55_597, 1); // half a degree of the equator
  near(haversineMetres({ lat: 0, lon: 179.9995 }, { lat: 0, lon: -179.9995 }), 111.195, 0.001); // across ±180
});

test('insidePolygon: a unit square, a concave U, vertex order and an explicit closing vertex', () => {
  const square: [number, number][] = [
    [0, 0],
    [0, 1],
    [1, 1],
    [1, 0],
  ];
  assert.equal(insidePolygon([0.5, 0.5], square), true);
  assert.equal(insidePolygon([0.01, 0.99], square), true);
  assert.equal(insidePolygon([1.5, 0.5], square), false);
  assert.equal(insidePolygon([0.5, -0.1], square), false);
  assert.equal(insidePolygon([-0.5, -0.5], square), false);
  assert.equal(insidePolygon([0.5, 0.5], [...square].reverse()), true);
  assert.equal(insidePolygon([0.5, 0.5], [...square, [0, 0]]), true);
  // A U, 3 x 3, open at the top between lon 1 and 2, down to lat 1: [lat, lon].
  const u: [number, number][] = [
    [0, 0],
    [0, 3],
    [3, 3],
    [3, 2],
    [1, 2],
    [1, 1],
    [3, 1],
    [3, 0],
  ];
  assert.equal(insidePolygon([2, 1.5], u), false); // in the notch: the ray crosses both arms
  assert.equal(insidePolygon([0.5, 1.5], u), true); // the base
  assert.equal(insidePolygon([2, 0.5], u), true); // left arm
  assert.equal(insidePolygon([2, 2.5], u), true); // right arm
  assert.equal(insidePolygon([4, 0.5], u), false);
  assert.equal(insidePolygon([2, 3.5], u), false);
});

// A 1 km circle at (0, 0): 0.0089° of latitude is 989.6 m, 0.0091° is 1011.9 m.
const circle = { circle: { lat: 0, lon: 0, radius: 1000 } };
const IN = 0.0089;
const OUT = 0.0091;
const journey: Signal[] = [
  lat(1, OUT), // 0: lon unknown yet
  lon(1, 0), // 1: P1 outside (the first position)
  lat(2, IN), // 2: lon still at ts 1
  pt('speed', 2, 50), // 3: other key
  lon(2, 0), // 4: P2 inside
  lon(3, 0), // 5: lon first this time
  lat(3, IN), // 6: P3 inside
  lat(4, OUT), // 7
  lon(4, 0), // 8: P4 outside
  lat(5, OUT), // 9
  lon(5, 'x'), // 10: not a number
  lon(5, 0), // 11: P5 outside
];
/** The answers for the five positions (at indexes 1, 4, 6, 8, 11); undefined elsewhere. */
const at = (answers: boolean[]) => {
  const out: (boolean | undefined)[] = journey.map(() => undefined);
  [1, 4, 6, 8, 11].forEach((i, n) => {
    out[i] = answers[n];
  });
  return out;
};

test('circle: complete positions only; inside/outside are levels, enter/exit edges; survives a restart', () => {
  const expected = {
    inside: [false, true, true, false, false],
    outside: [true, false, false, true, true],
    enter: [false, true, false, false, false],
    exit: [false, false, false, true, false],
  };
  for (const trigger of ['inside', 'outside', 'enter', 'exit'] as const) {
    const c = createGeofence({ latKey: 'lat', lonKey: 'lon', area: circle, trigger });
    assert.deepEqual(c.needs, { keys: ['lat', 'lon'] });
    let state = c.initial();
    const answers = journey.map((s, i) => {
      if (i === 5) state = restart(state); // just after entering
      return c.step(state, s);
    });
    assert.deepEqual(answers, at(expected[trigger]), trigger);
  }
});

test('the first position has nothing to cross from; a half position is not paired with an old one', () => {
  const enter = createGeofence({ latKey: 'lat', lonKey: 'lon', area: circle, trigger: 'enter' });
  const s = enter.initial();
  assert.equal(enter.step(s, lat(1, IN)), undefined);
  assert.equal(enter.step(s, lon(1, 0)), false); // first position, inside: no enter
  assert.equal(enter.step(s, { kind: 'tick', ts: 2 }), undefined);
  assert.equal(enter.step(s, lat(3, OUT)), undefined); // lat at 3, lon at 1
  assert.equal(enter.step(s, lon(2, 0)), undefined); // lat at 3, lon at 2
  assert.deepEqual(s, { lat: OUT, latTs: 3, lon: 0, lonTs: 2, inside: true });
  assert.equal(enter.step(s, lon(3, 0)), false); // outside now
  assert.equal(enter.step(s, lat(4, IN)), undefined);
  assert.equal(enter.step(s, lon(4, 0)), true);
});

test('polygon: a depot box, and a circle across the antimeridian', () => {
  const depot: [number, number][] = [
    [48.8, 2.3],
    [48.8, 2.4],
    [48.9, 2.4],
    [48.9, 2.3],
  ];
  const c = createGeofence({ latKey: 'la', lonKey: 'lo', area: { polygon: depot }, trigger: 'exit' });
  const s = c.initial();
  const go = (ts: number, la: number, lo: number) => [
    c.step(s, pt('la', ts, la)),
    c.step(s, pt('lo', ts, lo)),
  ];
  assert.deepEqual(go(1, 48.85, 2.35), [undefined, false]);
  assert.deepEqual(go(2, 48.85, 2.45), [undefined, true]);
  assert.deepEqual(go(3, 48.95, 2.35), [undefined, false]);
  const fiji = createGeofence({
    latKey: 'lat',
    lonKey: 'lon',
    area: { circle: { lat: 0, lon: 179.995, radius: 1000 } },
    trigger: 'inside',
  });
  const f = fiji.initial();
  fiji.step(f, lat(1, 0));
  assert.equal(fiji.step(f, lon(1, -179.999)), true); // 0.006° away: 667 m
  fiji.step(f, lat(2, 0));
  assert.equal(fiji.step(f, lon(2, -179.98)), false); // 0.025° away: 2780 m
});
