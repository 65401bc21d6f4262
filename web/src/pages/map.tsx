import 'leaflet/dist/leaflet.css';
import { useEffect, useRef, useState } from 'react';
import { ApiError, api, type Page } from '../api/client';
import { useStream } from '../api/stream';
import type { Info, Position } from '../api/types';
import { Button, Card, Empty, ErrorNote, Loading, PageHeader } from '../components/ui';
import { number } from '../lib/format';
import { Link } from '../lib/router';
import { LiveDot } from './fleet/common';
import { FleetMap, type Pin } from './fleet/map-view';

/** Pages of 1,000 devices; 50 pages cover 50,000 devices. */
const PAGE = 1000;
const MAX_PAGES = 50;

/** Where the devices are: every device that reports `lat` and `lon`, clustered, moving live. */
export function MapPage() {
  const pins = useRef(new Map<string, Pin>());
  const [version, setVersion] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [scanned, setScanned] = useState(0);
  const [info, setInfo] = useState<Info | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [fit, setFit] = useState(0);
  const [round, setRound] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` is a retry
  useEffect(() => {
    let gone = false;
    setError(undefined);
    (async () => {
      const [i] = await Promise.all([
        api.get<Info>('/info'),
        (async () => {
          let cursor: string | undefined;
          for (let n = 0; n < MAX_PAGES && !gone; n++) {
            const page = await api.get<Page<Position>>('/telemetry/positions', { limit: PAGE, cursor });
            for (const p of page.items) pins.current.set(p.device, p);
            setScanned((s) => s + PAGE);
            cursor = page.next;
            if (!cursor) break;
          }
        })(),
      ]);
      if (gone) return;
      setInfo(i);
      setLoaded(true);
      setVersion((v) => v + 1);
    })().catch((e: unknown) => {
      if (!gone) setError(e instanceof ApiError ? e : new ApiError(0, { detail: String(e) }));
    });
    return () => {
      gone = true;
    };
  }, [round]);

  // Live positions: points arrive key by key, so a message may move a device in one coordinate only.
  const dirty = useRef(false);
  const { live } = useStream('*', ['telemetry'], (m) => {
    if (m.type !== 'telemetry') return;
    let lat: number | undefined;
    let lon: number | undefined;
    let ts = 0;
    for (const p of m.points) {
      if (typeof p.value !== 'number') continue;
      if (p.key === 'lat') lat = p.value;
      else if (p.key === 'lon') lon = p.value;
      else continue;
      ts = Math.max(ts, p.ts);
    }
    if (lat === undefined && lon === undefined) return;
    const old = pins.current.get(m.device);
    const next = { device: m.device, lat: lat ?? old?.lat, lon: lon ?? old?.lon, ts };
    if (next.lat === undefined || next.lon === undefined) return;
    if (Math.abs(next.lat) > 90 || Math.abs(next.lon) > 180) return;
    pins.current.set(m.device, next as Pin);
    dirty.current = true;
  });
  // Redraw at most once a second, however many devices move.
  useEffect(() => {
    const t = setInterval(() => {
      if (!dirty.current) return;
      dirty.current = false;
      setVersion((v) => v + 1);
    }, 1000);
    return () => clearInterval(t);
  }, []);

  const count = pins.current.size;
  const tiles = info?.map?.tiles ? { url: info.map.tiles, attribution: info.map.attribution } : undefined;

  return (
    <div className="fleet-page">
      <PageHeader
        title="Map"
        subtitle={
          loaded
            ? `${number(count)} device${count === 1 ? '' : 's'} reporting a position`
            : 'Where your devices are'
        }
        actions={
          <>
            <LiveDot live={live} />
            {count > 0 && loaded ? (
              <Button onClick={() => setFit((f) => f + 1)}>Fit all devices</Button>
            ) : null}
          </>
        }
      />
      {error ? <ErrorNote error={error} onRetry={() => setRound((r) => r + 1)} /> : null}
      {error ? null : !loaded ? (
        <Loading
          what={
            scanned > PAGE ? `Loading positions (${number(scanned)} devices scanned)` : 'Loading positions'
          }
        />
      ) : count === 0 ? (
        <Card>
          <Empty title="No device reports a position yet">
            <p>
              A device shows up here once it sends the telemetry keys <code>lat</code> and <code>lon</code>{' '}
              (decimal degrees), for example <code>{'{"lat": 45.76, "lon": 4.84}'}</code> on{' '}
              <code>devices/&lt;id&gt;/telemetry</code>. It appears live, without reloading.
            </p>
            <p>
              See the <Link to="/devices">devices</Link> and the telemetry they send.
            </p>
          </Empty>
        </Card>
      ) : (
        <section className="card fleet-map-card" aria-label="Device map">
          <div className="map-note muted">
            <span>
              <span className="legend-dot" aria-hidden="true" /> position in the last hour{' '}
              <span className="legend-dot stale" aria-hidden="true" /> older
            </span>
            {tiles ? null : (
              <span>
                No map tiles configured (<code>dashboard.mapTiles</code>): showing latitude and longitude
                lines.
              </span>
            )}
          </div>
          <FleetMap pins={pins.current} version={version} tiles={tiles} fit={fit} />
        </section>
      )}
    </div>
  );
}
