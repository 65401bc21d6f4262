import * as L from 'leaflet';
import { useEffect, useRef } from 'react';
import Supercluster, { type ClusterProperties } from 'supercluster';
import { timeAgo } from '../../lib/format';
import { navigate } from '../../lib/router';
import { addGraticule } from './graticule';

export interface Pin {
  readonly device: string;
  readonly lat: number;
  readonly lon: number;
  readonly ts: number;
}

/** Older than this, a position is drawn grey: the device may have moved since. */
export const STALE_MS = 60 * 60_000;

type Props = { device: string; ts: number };

function popup(p: Pin): HTMLElement {
  // Built as DOM, not HTML text: ids come from devices.
  const box = document.createElement('div');
  const a = document.createElement('a');
  a.href = `/devices/${encodeURIComponent(p.device)}`;
  a.textContent = p.device;
  a.addEventListener('click', (e) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(a.getAttribute('href') as string);
  });
  const when = document.createElement('div');
  when.className = 'muted';
  when.textContent = `Position ${timeAgo(p.ts)}`;
  const at = document.createElement('div');
  at.className = 'mono muted';
  at.textContent = `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`;
  box.append(a, when, at);
  return box;
}

const isStale = (ts: number) => Date.now() - ts > STALE_MS;

/** Markers are focusable (Tab, Enter opens the popup): give them a name for screen readers. */
function named(mk: L.Marker, name: string): L.Marker {
  const el = mk.getElement();
  el?.setAttribute('role', 'button');
  el?.setAttribute('aria-label', name);
  return mk;
}

function deviceIcon(ts: number): L.DivIcon {
  return L.divIcon({
    className: 'fleet-icon',
    html: `<span class="dev-marker${isStale(ts) ? ' stale' : ''}"></span>`,
    iconSize: [14, 14],
  });
}

function clusterIcon(count: number): L.DivIcon {
  const size = count < 10 ? 30 : count < 100 ? 36 : count < 1000 ? 44 : 52;
  return L.divIcon({
    className: 'fleet-icon',
    html: `<span class="cluster-marker">${count.toLocaleString()}</span>`,
    iconSize: [size, size],
  });
}

/**
 * The Leaflet map, driven imperatively: pins are clustered (supercluster)
 * for the current view, and markers are kept across redraws so a moving
 * device glides and an open popup stays open.
 */
export function FleetMap({
  pins,
  version,
  tiles,
  fit,
}: {
  pins: ReadonlyMap<string, Pin>;
  /** Bumped when `pins` changed (the map is then reclustered). */
  version: number;
  tiles: { url: string; attribution: string } | undefined;
  /** Bumped to fit the view to every pin again. */
  fit: number;
}) {
  const box = useRef<HTMLElement>(null);
  const map = useRef<L.Map | undefined>(undefined);
  const draw = useRef<() => void>(() => undefined);
  const index = useRef<Supercluster<Props> | undefined>(undefined);
  const pinsRef = useRef(pins);
  pinsRef.current = pins;

  const fitAll = () => {
    const m = map.current;
    const all = [...pinsRef.current.values()];
    if (!m || all.length === 0) return;
    if (all.length === 1) m.setView([all[0]?.lat ?? 0, all[0]?.lon ?? 0], 13);
    else m.fitBounds(L.latLngBounds(all.map((p) => [p.lat, p.lon])), { padding: [40, 40], maxZoom: 15 });
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: the map is built once; tiles come with the page
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const m = L.map(el, { worldCopyJump: true, minZoom: 2, maxZoom: 18, zoomSnap: 0.5 });
    map.current = m;
    let removeGraticule: (() => void) | undefined;
    if (tiles?.url) L.tileLayer(tiles.url, { attribution: tiles.attribution, maxZoom: 19 }).addTo(m);
    m.attributionControl.setPrefix(false);
    if (pinsRef.current.size) fitAll();
    else m.setView([20, 0], 2);
    if (!tiles?.url) removeGraticule = addGraticule(m);

    const layer = L.layerGroup().addTo(m);
    const markers = new Map<string, L.Marker>();
    const stale = new Map<string, boolean>();
    draw.current = () => {
      const idx = index.current;
      if (!idx) return;
      const b = m.getBounds();
      const wide = b.getEast() - b.getWest() >= 360;
      const bbox: [number, number, number, number] = [
        wide ? -180 : Math.max(-180, b.getWest()),
        Math.max(-90, b.getSouth()),
        wide ? 180 : Math.min(180, b.getEast()),
        Math.min(90, b.getNorth()),
      ];
      const seen = new Set<string>();
      for (const f of idx.getClusters(bbox, Math.round(m.getZoom()))) {
        const [lon, lat] = f.geometry.coordinates as [number, number];
        const props = f.properties as Partial<ClusterProperties> & Partial<Props>;
        if (props.cluster) {
          const id = props.cluster_id as number;
          const count = props.point_count as number;
          const key = `c${id}:${count}`;
          seen.add(key);
          const existing = markers.get(key);
          if (existing) {
            existing.setLatLng([lat, lon]);
            continue;
          }
          const mk = L.marker([lat, lon], { icon: clusterIcon(count), keyboard: true });
          mk.on('click', () =>
            m.flyTo([lat, lon], Math.min(idx.getClusterExpansionZoom(id), m.getMaxZoom()), { duration: 0.4 }),
          );
          markers.set(key, named(mk.addTo(layer), `${count} devices here: zoom in`));
        } else {
          const pin = pinsRef.current.get(props.device as string);
          if (!pin) continue;
          const key = `d${pin.device}`;
          seen.add(key);
          const existing = markers.get(key);
          if (existing) {
            existing.setLatLng([pin.lat, pin.lon]);
            // A new icon is a new element (focus lost): only when the colour changes.
            if (stale.get(key) !== isStale(pin.ts)) {
              existing.setIcon(deviceIcon(pin.ts));
              named(existing, pin.device);
              stale.set(key, isStale(pin.ts));
            }
            if (existing.isPopupOpen()) existing.getPopup()?.update();
            continue;
          }
          const mk = L.marker([pin.lat, pin.lon], { icon: deviceIcon(pin.ts), keyboard: true });
          mk.bindPopup(() => popup(pinsRef.current.get(pin.device) ?? pin));
          mk.bindTooltip(pin.device, { direction: 'top', offset: [0, -8] });
          stale.set(key, isStale(pin.ts));
          markers.set(key, named(mk.addTo(layer), pin.device));
        }
      }
      for (const [key, mk] of markers)
        if (!seen.has(key)) {
          mk.remove();
          markers.delete(key);
          stale.delete(key);
        }
    };
    const redraw = () => draw.current();
    m.on('moveend', redraw);
    // The card may be laid out after the map is made (fonts, scrollbars): measure again.
    const resize = new ResizeObserver(() => m.invalidateSize());
    resize.observe(el);
    return () => {
      resize.disconnect();
      removeGraticule?.();
      m.remove();
      map.current = undefined;
    };
  }, []);

  // New or moved pins: cluster again and redraw the view.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` stands for the pins' content
  useEffect(() => {
    const idx = new Supercluster<Props>({ radius: 56, maxZoom: 16 });
    idx.load(
      [...pins.values()].map((p) => ({
        type: 'Feature' as const,
        properties: { device: p.device, ts: p.ts },
        geometry: { type: 'Point' as const, coordinates: [p.lon, p.lat] },
      })),
    );
    index.current = idx;
    draw.current();
  }, [version]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: fits on request only
  useEffect(() => {
    if (fit) fitAll();
  }, [fit]);

  return (
    <section ref={box} className="fleet-map" aria-label="Map of devices (arrow keys pan, + and - zoom)" />
  );
}
