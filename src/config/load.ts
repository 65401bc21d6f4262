import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { parse as parseYaml } from 'yaml';
import { type FieldError, PlexusError } from '../core/errors.js';
import { aclTopicProblem } from '../core/topic-acl.js';
import { dottedPath, toFieldErrors } from '../core/validation.js';
import { ConfigErrors } from './errors.js';
import { type Config, ConfigSchema } from './schema.js';

export const CONFIG_FILE_NAMES = ['plexus.config.json', 'plexus.config.yaml', 'plexus.config.yml'];

export interface LoadOptions {
  /** Explicit file (`--config`); must exist. Otherwise the first of CONFIG_FILE_NAMES in `cwd`. */
  readonly file?: string | undefined;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags, highest precedence, as a partial config. */
  readonly overrides?: Readonly<Record<string, unknown>>;
}

interface Leaf {
  readonly path: string[];
  readonly env: string;
  readonly schema: TSchema & { type?: string };
}

/** `['http','port']` → `PLEXUS_HTTP_PORT`; `dataDir` → `PLEXUS_DATA_DIR`. */
export function envName(path: readonly string[]): string {
  return `PLEXUS_${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_')}`;
}

/** Every settable leaf of the schema with its environment variable name. */
export function configLeaves(schema: TSchema = ConfigSchema, path: string[] = []): Leaf[] {
  const s = schema as TSchema & { type?: string; properties?: Record<string, TSchema> };
  if (s.type === 'object' && s.properties) {
    return Object.entries(s.properties).flatMap(([k, v]) => configLeaves(v, [...path, k]));
  }
  return [{ path, env: envName(path), schema: s }];
}

function coerce(raw: string, schema: Leaf['schema']): unknown {
  if (schema.type === 'array') {
    // Lists come as JSON; what does not parse stays a string and the schema names the setting.
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (schema.type === 'integer' || schema.type === 'number') return raw.trim() === '' ? raw : Number(raw);
  if (schema.type === 'boolean') {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
  }
  return raw;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    const t = target[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && t && typeof t === 'object' && !Array.isArray(t)) {
      mergeInto(t as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      target[k] = v;
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new PlexusError(ConfigErrors.FILE_UNREADABLE, `cannot read ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new PlexusError(
      ConfigErrors.INVALID,
      `${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PlexusError(ConfigErrors.INVALID, `${file} must hold an object of settings`);
  }
  return parsed as Record<string, unknown>;
}

/** Rules one field's schema cannot say: a certificate needs its key and the other way round. */
function crossFieldErrors(c: Config): FieldError[] {
  const out: FieldError[] = [];
  for (const [path, tls] of [
    ['/http/tls', c.http.tls],
    ['/mqtts', c.mqtts],
  ] as const) {
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      const missing = tls.cert === undefined ? 'cert' : 'key';
      out.push({
        path: `${path}/${missing}`,
        message: `is required when ${missing === 'cert' ? 'key' : 'cert'} is set`,
      });
    }
  }
  c.mqtt.anonymous.rules.forEach((rule, i) => {
    const problem = aclTopicProblem(rule.topic);
    if (problem) out.push({ path: `/mqtt/anonymous/rules/${i}/topic`, message: problem });
  });
  if (c.store.kind === 'postgres' && c.store.url === undefined)
    out.push({ path: '/store/url', message: 'is required when store.kind is postgres' });
  if (c.store.kind === 'sqlite' && c.store.url !== undefined)
    out.push({
      path: '/store/kind',
      message: 'is sqlite, but store.url is set (use postgres, or unset store.url)',
    });
  return out;
}

/**
 * Loads defaults ← file ← `PLEXUS_*` environment ← flags, validates once
 * against the schema and returns a deep-frozen config. All problems are
 * reported together, each with its dotted path and where the value came from.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const merged: Record<string, unknown> = {};
  const sources = new Map<string, string>();

  const file = opts.file
    ? resolve(cwd, opts.file)
    : CONFIG_FILE_NAMES.map((n) => resolve(cwd, n)).find((f) => existsSync(f));
  if (file) {
    mergeInto(merged, readFile(file));
    sources.set('', file);
  }
  for (const leaf of configLeaves()) {
    const raw = env[leaf.env];
    if (raw === undefined) continue;
    setPath(merged, leaf.path, coerce(raw, leaf.schema));
    sources.set(leaf.path.join('.'), `environment ${leaf.env}`);
  }
  if (opts.overrides) {
    mergeInto(merged, structuredClone(opts.overrides) as Record<string, unknown>);
    for (const leaf of configLeaves()) {
      let node: unknown = opts.overrides;
      for (const k of leaf.path) node = (node as Record<string, unknown> | undefined)?.[k];
      if (node !== undefined) sources.set(leaf.path.join('.'), 'command line');
    }
  }

  // A PostgreSQL URL alone selects PostgreSQL (PLEXUS_STORE_URL=postgres://… is all it takes).
  const store = merged.store as Record<string, unknown> | undefined;
  if (store?.url !== undefined && store.kind === undefined) store.kind = 'postgres';
  const value = Value.Default(ConfigSchema, merged) as Record<string, unknown>;
  const errors = toFieldErrors(Value.Errors(ConfigSchema, value));
  if (errors.length === 0) errors.push(...crossFieldErrors(value as Config));
  if (errors.length > 0) {
    const described: FieldError[] = errors.map((e) => {
      const path = dottedPath(e.path);
      const from = sources.get(path) ?? (file ? file : 'defaults');
      return { path, message: `${e.message} (from ${from})` };
    });
    const lines = described.map((e) => `  ${e.path}: ${e.message}`).join('\n');
    throw new PlexusError(ConfigErrors.INVALID, `invalid configuration:\n${lines}`, { errors: described });
  }
  return deepFreeze(value as Config);
}
