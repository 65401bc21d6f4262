// The fleet and the rule set of bench/rules.mjs (issue #6), deterministic for a given size.
//
// Fleet: devices rdev-00000 … in 10 profiles (device i: profile i mod 10), 100 groups
// line-00 … (100 consecutive devices each), labels site (20 sites: floor(i / 10) mod 20) and
// zone (5 zones: floor(i / 200) mod 5). The last H devices are the webhook-latency hook devices.
//
// Rules (rule 0 is the hook rule, the others by index j):
//   target, by j mod 10: 0 a profile; 1-2 a group; 3-4 labels {site, zone}; 5-7 a profile plus
//   labels {site}; 8-9 a list of 50 devices — so every device is targeted by about 16 rules.
//   condition, by floor(j / 10) mod 20 (independent of the target): 6 thresholds (two with `for`),
//   3 ranges (two with `for`), 3 sliding 10 s window averages (one with `for`), 2 rates,
//   2 anomalies, 1 all (with `for`), 1 any, 1 geofence (k4, k5 as lat, lon), 1 inactivity;
//   keys rotate over k1 … k5, so every key the devices publish is read by some 200-250 rules.
// ingest-gen.mjs sends each device a fixed value per key in 20.000 … 29.999 (uniform over the
// devices), so limits sit outside that band (a healthy fleet) except slot 5, `kX > 29.9`: it
// fires for about 1 % of the devices it targets, once (their value stays), so the engine's
// transitions and alarms can be checked without a fleet that alarms on every point.
//
// The hook rule: k1 > 40 on the hook devices (a device list), alarm plus a webhook to the bench
// (body {device, ts, value, rule}), throttle 0s: every firing acts.

export const KEYS = ['k1', 'k2', 'k3', 'k4', 'k5'];
export const HOOK_RULE = 'hook-k1-high';
const PROFILES = [
  'pump',
  'press',
  'chiller',
  'compressor',
  'boiler',
  'conveyor',
  'mixer',
  'oven',
  'fan',
  'valve',
];
const SITES = 20;
const ZONES = 5;
const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'info'];

export function fleet(n, hookN) {
  const groupCount = Math.max(1, Math.round(n / 100));
  const width = String(n - 1).length;
  const groups = Array.from({ length: groupCount }, (_, g) => `line-${String(g).padStart(2, '0')}`);
  const devices = Array.from({ length: n }, (_, i) => ({
    id: `rdev-${String(i).padStart(width, '0')}`,
    profile: PROFILES[i % PROFILES.length],
    groups: [groups[Math.floor((i * groupCount) / n)]],
    labels: { site: `site-${Math.floor(i / 10) % SITES}`, zone: `zone-${Math.floor(i / 200) % ZONES}` },
  }));
  return {
    devices,
    profiles: PROFILES,
    groups,
    sites: SITES,
    zones: ZONES,
    hookDevices: devices.slice(n - hookN),
  };
}

/** A small deterministic PRNG (mulberry32) for the device lists. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function target(f, j, counters) {
  const kind = j % 10;
  if (kind === 0) return { profile: PROFILES[counters.p++ % PROFILES.length] };
  if (kind <= 2) return { groups: [f.groups[counters.g++ % f.groups.length]] };
  if (kind <= 4) {
    const c = counters.sz++;
    return { labels: { site: `site-${c % SITES}`, zone: `zone-${Math.floor(c / SITES) % ZONES}` } };
  }
  if (kind <= 7) {
    const c = counters.ps++;
    return {
      profile: PROFILES[c % PROFILES.length],
      labels: { site: `site-${Math.floor(c / PROFILES.length) % SITES}` },
    };
  }
  const rnd = prng(j);
  const picked = new Set();
  while (picked.size < Math.min(50, f.devices.length))
    picked.add(f.devices[Math.floor(rnd() * f.devices.length)].id);
  return { devices: [...picked] };
}

function condition(slot, j) {
  const key = KEYS[(j + Math.floor(j / 50)) % KEYS.length];
  const other = KEYS[(j + Math.floor(j / 50) + 2) % KEYS.length];
  const w10 = (op, value, extra = {}) => ({
    type: 'window',
    key,
    agg: 'avg',
    window: '10s',
    op,
    value,
    ...extra,
  });
  switch (slot) {
    case 0:
      return { type: 'threshold', key, op: '>', value: 35 };
    case 1:
      return { type: 'threshold', key, op: '>', value: 38, for: '30s' };
    case 2:
      return { type: 'threshold', key, op: '<', value: 10 };
    case 3:
      return { type: 'threshold', key, op: '>=', value: 40, for: '1m' };
    case 4:
      return { type: 'threshold', key, op: '>', value: 33 };
    case 5:
      return { type: 'threshold', key, op: '>', value: 29.9 };
    case 6:
      return { type: 'range', key, min: 10, max: 40 };
    case 7:
      return { type: 'range', key, min: 15, max: 35, for: '15s' };
    case 8:
      return { type: 'range', key, min: 0, max: 50, when: 'outside', for: '2m' };
    case 9:
      return w10('>', 36);
    case 10:
      return w10('<', 12);
    case 11:
      return w10('>', 34, { for: '20s' });
    case 12:
      return { type: 'rate', key, per: '1s', op: '>', value: 5 };
    case 13:
      return { type: 'rate', key, per: '1m', op: '<', value: -100 };
    case 14:
      return { type: 'anomaly', key, threshold: 4, warmup: 30 };
    case 15:
      return { type: 'anomaly', key, threshold: 5, alpha: 0.05, warmup: 60 };
    case 16:
      return {
        type: 'all',
        for: '30s',
        conditions: [
          { type: 'threshold', key, op: '>', value: 31 },
          { type: 'window', key: other, agg: 'avg', window: '10s', op: '>', value: 31 },
        ],
      };
    case 17:
      return {
        type: 'any',
        conditions: [
          { type: 'range', key, min: 5, max: 45 },
          { type: 'rate', key: other, per: '1s', op: '>', value: 20 },
        ],
      };
    case 18:
      return j % 2
        ? {
            type: 'geofence',
            lat: 'k4',
            lon: 'k5',
            area: { circle: { lat: 45.76, lon: 4.84, radius: 500 } },
            trigger: 'enter',
          }
        : {
            type: 'geofence',
            lat: 'k4',
            lon: 'k5',
            area: {
              polygon: [
                [10, 10],
                [10, 40],
                [40, 40],
                [40, 10],
              ],
            },
            trigger: 'exit',
          };
    default:
      return { type: 'inactivity', after: '5m' };
  }
}

export function buildRules(f, count, hookUrl) {
  const rules = [
    {
      name: HOOK_RULE,
      description: 'bench: k1 of the hook devices crosses 40; every firing calls the bench webhook',
      target: { devices: f.hookDevices.map((d) => d.id) },
      condition: { type: 'threshold', key: 'k1', op: '>', value: 40 },
      alarm: { type: 'k1-high', severity: 'minor', message: '{{device}}: k1 = {{value}}' },
      actions: [
        {
          type: 'webhook',
          url: hookUrl,
          body: { device: '{{device}}', ts: '{{ts}}', value: '{{value}}', rule: '{{rule}}' },
        },
      ],
      throttle: '0s',
    },
  ];
  const counters = { p: 0, g: 0, sz: 0, ps: 0 };
  for (let j = 1; j < count; j++) {
    const slot = Math.floor(j / 10) % 20;
    const c = condition(slot, j);
    const what =
      c.type === 'geofence' || c.type === 'inactivity' || c.type === 'all' || c.type === 'any'
        ? c.type
        : `${c.type}-${c.key}`;
    rules.push({
      name: `r${String(j).padStart(4, '0')}-${what}`,
      target: target(f, j, counters),
      condition: c,
      alarm: {
        type: what,
        severity: SEVERITIES[j % SEVERITIES.length],
        message: '{{device}}: {{key}} = {{value}} ({{rule}})',
      },
      throttle: '10m',
    });
  }
  return rules;
}
