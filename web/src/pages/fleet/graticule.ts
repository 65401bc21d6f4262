import * as L from 'leaflet';

/** Steps in degrees, coarse to fine (the view picks the finest that keeps lines MIN_GAP apart). */
const STEPS = [30, 10, 5, 2, 1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001];
/** Lines at least this many pixels apart. */
const MIN_GAP = 90;

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function fmt(v: number, step: number, pos: string, neg: string): string {
  const digits = step >= 1 ? 0 : Math.ceil(-Math.log10(step) - 1e-9);
  const r = Number(Math.abs(v).toFixed(digits));
  return `${r.toFixed(digits)}°${r === 0 ? '' : v > 0 ? pos : neg}`;
}

/**
 * Latitude/longitude lines with their values, redrawn for the view and the
 * theme: the map's background when no tile server is configured, so the
 * map still says where things are without the internet.
 */
export function addGraticule(map: L.Map): () => void {
  const layer = L.layerGroup().addTo(map);
  const draw = () => {
    layer.clearLayers();
    const b = map.getBounds();
    const south = Math.max(-85, b.getSouth());
    const north = Math.min(85, b.getNorth());
    const west = b.getWest();
    const east = b.getEast();
    const pxPerDeg = map.getSize().x / Math.max(1e-9, east - west);
    const fits = STEPS.filter((s) => s * pxPerDeg >= MIN_GAP);
    const step = fits[fits.length - 1] ?? 30;
    // Major lines: every 1°, 10° or 90° (whichever is a few steps), else every 5 steps.
    const major = [90, 10, 1, 0.1, 0.01, 0.001].find((m) => m > step && m / step <= 10) ?? step * 5;
    const minor = { color: cssVar('--border'), weight: 1, interactive: false };
    const strong = { color: cssVar('--muted'), weight: 1, opacity: 0.45, interactive: false };
    const isMajor = (v: number) => Math.abs(v / major - Math.round(v / major)) < 1e-6;
    const label = (at: L.LatLngExpression, text: string, anchor: [number, number], cls: string) =>
      L.marker(at, {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: `grat-label ${cls}`,
          html: text,
          iconSize: [72, 14],
          iconAnchor: anchor,
        }),
      }).addTo(layer);
    // Lines of longitude, labelled along the bottom edge.
    for (let i = Math.floor(west / step); i * step <= east; i++) {
      const lon = i * step;
      L.polyline(
        [
          [south, lon],
          [north, lon],
        ],
        isMajor(lon) ? strong : minor,
      ).addTo(layer);
      const wrapped = ((((lon + 180) % 360) + 360) % 360) - 180;
      label([south, lon], fmt(wrapped, step, 'E', 'W'), [-3, 16], 'lon');
    }
    // Lines of latitude, labelled along the right edge (the zoom buttons are on the left).
    for (let i = Math.ceil(south / step); i * step <= north; i++) {
      const lat = i * step;
      L.polyline(
        [
          [lat, west],
          [lat, east],
        ],
        isMajor(lat) ? strong : minor,
      ).addTo(layer);
      label([lat, east], fmt(lat, step, 'N', 'S'), [75, 15], 'lat');
    }
  };
  draw();
  map.on('moveend zoomend resize', draw);
  // The theme toggle changes the colours: draw again.
  const watch = new MutationObserver(draw);
  watch.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => {
    watch.disconnect();
    map.off('moveend zoomend resize', draw);
    layer.remove();
  };
}
