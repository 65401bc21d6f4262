/**
 * The fleet simulator (`plexus sim`): scenario packs and the runner that
 * provisions them on a Plexus server and drives them with the device SDK.
 *
 * @example
 * import { PACKS, runSimulation } from './sim/index.js';
 * const summary = await runSimulation({ pack: PACKS.factory, url: 'http://127.0.0.1:8080',
 *   auth: { apiKey: 'plx_...' }, devices: 5, speed: 30, durationMs: 60_000 });
 */
import type { ScenarioPack } from './pack.js';
import { factoryPack } from './packs/factory.js';
import { fleetPack } from './packs/fleet.js';
import { pack as gridPack } from './packs/grid.js';
import { pack as healthPack } from './packs/health.js';
import { pack as homePack } from './packs/home.js';

export { createSimApi, type SimAuth, SimError, type SimErrorCode } from './api.js';
export type { SimulationOptions } from './options.js';
export type { DeviceModel, ScenarioPack, SimApi, SimDevice, Timing } from './pack.js';
export { createFactoryPack, type FactoryOptions, factoryPack } from './packs/factory.js';
export { createFleetPack, type FleetOptions, fleetPack } from './packs/fleet.js';
export { formatProgress, formatSummary, type Progress, type Summary } from './progress.js';
export { runSimulation } from './runner.js';
export { simDuration } from './timing.js';

/** The scenario packs by name, in the order `plexus sim --list` shows them. */
export const PACKS: Readonly<Record<string, ScenarioPack>> = Object.freeze({
  factory: factoryPack,
  fleet: fleetPack,
  home: homePack,
  health: healthPack,
  grid: gridPack,
});

export const PACK_NAMES: readonly string[] = Object.keys(PACKS);
