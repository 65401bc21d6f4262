import type { Command } from 'commander';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { printLine } from '../output.js';
import { confirmed } from '../prompt.js';

/** A list page as the API returns it. */
export interface Page<T> {
  readonly items: T[];
  readonly next?: string;
}

/** Adds an "Example" section under the command's help. */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText(
    'after',
    `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}`,
  );
}

/** Refuses an update that would change nothing, rather than sending an empty PATCH. */
export function requireChanges(body: Readonly<Record<string, unknown>>, flags: string): void {
  if (Object.keys(body).length === 0) throw usageError(`nothing to update: pass at least one of ${flags}`);
}

/** Copies the defined entries only: with exactOptionalPropertyTypes an absent field must stay absent. */
export function defined(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** Shared `delete` flow: confirm on a terminal, DELETE, say so (nothing on stdout in --json mode). */
export async function deleteResource(
  ctx: Context,
  kind: string,
  id: string,
  apiPath: string,
  yes: boolean | undefined,
): Promise<void> {
  if (!(await confirmed(`Delete ${kind} ${id}?`, yes))) throw new CliError(['Aborted: nothing was deleted']);
  await ctx.client.delete(apiPath);
  if (!ctx.json) printLine(`Deleted ${kind} ${id}`);
}

/** The "more results" note when a list was cut at a page boundary (`how` says what to do). */
export function moreHint(next: string | undefined, how: string): string {
  return next ? `\n(more results exist: ${how})` : '';
}
