import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { path } from '../client.js';
import { type Context, contextOf } from '../context.js';
import { usageError } from '../errors.js';
import { emit, formatTable } from '../output.js';
import { defined, deleteResource, examples, requireChanges } from './shared.js';

interface Profile {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly codec: string;
  readonly telemetry: Readonly<Record<string, { type: string; unit?: string }>>;
  readonly inactivityTimeout: number;
  readonly retentionDays: number;
}

interface FieldOptions {
  readonly name?: string;
  readonly description?: string;
  readonly file?: string;
}

/** Reads a profile body from JSON or YAML (YAML is a superset of JSON, so one parser serves both). */
export async function readBodyFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let body: unknown;
  try {
    body = parseYaml(text);
  } catch (err) {
    throw usageError(`${file} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw usageError(`${file} must hold one object (the profile's fields)`);
  }
  return body as Record<string, unknown>;
}

/** The request body: the file's fields, overridden by --name/--description. */
async function bodyOf(opts: FieldOptions): Promise<Record<string, unknown>> {
  const fromFile = opts.file === undefined ? {} : await readBodyFile(opts.file);
  return { ...fromFile, ...defined({ name: opts.name, description: opts.description }) };
}

async function create(ctx: Context, id: string, opts: FieldOptions): Promise<void> {
  const body = await bodyOf(opts);
  if (body.id !== undefined && body.id !== id) {
    throw usageError(`the file says id "${String(body.id)}" but the command says "${id}"`);
  }
  const res = await ctx.client.post<Profile>('/api/v1/profiles', { ...body, id });
  emit(ctx.json, res, () => `Created profile ${res.id}.`);
}

async function update(ctx: Context, id: string, opts: FieldOptions): Promise<void> {
  // The id names the profile in the URL; a copy in the file (from `show --json`) is dropped, not sent.
  const { id: _id, createdAt: _c, updatedAt: _u, ...body } = await bodyOf(opts);
  requireChanges(body, '--file, --name, --description');
  const res = await ctx.client.patch<Profile>(path`/api/v1/profiles/${id}`, body);
  emit(ctx.json, res, () => `Updated profile ${res.id}.`);
}

function fieldOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'display name')
    .option('--description <text>', 'what these devices are')
    .option('-f, --file <file>', 'JSON or YAML file with the profile fields (telemetry, limits, grants ...)');
}

export function registerProfiles(program: Command): void {
  const profiles = program.command('profiles').description('manage device profiles (device types)');
  examples(
    fieldOptions(
      profiles.command('create').description('create a profile, optionally from a JSON/YAML file'),
    ).argument('<id>', 'profile id'),
    'plexus profiles create press --name "Hydraulic press" --file press.yaml',
  ).action(async (id: string, opts: FieldOptions, cmd: Command) => create(await contextOf(cmd), id, opts));
  examples(
    profiles
      .command('list')
      .description('list profiles')
      .action(async (_opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const items = await ctx.client.all<Profile>('/api/v1/profiles', { limit: 1000 });
        emit(ctx.json, { items }, () =>
          formatTable(
            ['ID', 'NAME', 'CODEC', 'TELEMETRY', 'DESCRIPTION'],
            items.map((p) => [
              p.id,
              p.name,
              p.codec,
              Object.keys(p.telemetry ?? {}).join(','),
              p.description,
            ]),
          ),
        );
      }),
    'plexus profiles list',
  );
  examples(
    profiles
      .command('show')
      .description('show a profile (as YAML, ready to edit and pass to `update --file`)')
      .argument('<id>', 'profile id')
      .action(async (id: string, _opts: unknown, cmd: Command) => {
        const ctx = await contextOf(cmd);
        const p = await ctx.client.get<Profile>(path`/api/v1/profiles/${id}`);
        emit(ctx.json, p, () => toYaml(p).trimEnd());
      }),
    'plexus profiles show press > press.yaml',
  );
  examples(
    fieldOptions(
      profiles
        .command('update')
        .description('change a profile: fields in the file replace those on the server'),
    ),
    'plexus profiles update press --file press.yaml',
  )
    .argument('<id>', 'profile id')
    .action(async (id: string, opts: FieldOptions, cmd: Command) => update(await contextOf(cmd), id, opts));
  examples(
    profiles
      .command('delete')
      .description('delete a profile')
      .argument('<id>', 'profile id')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (id: string, opts: { yes?: boolean }, cmd: Command) =>
        deleteResource(await contextOf(cmd), 'profile', id, path`/api/v1/profiles/${id}`, opts.yes),
      ),
    'plexus profiles delete press --yes',
  );
}
