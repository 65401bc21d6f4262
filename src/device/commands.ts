import type { IncomingCommand } from './link.js';

/** What a command handler gets besides its params. */
export interface CommandInfo {
  readonly id: string;
  readonly name: string;
  readonly params: Record<string, unknown>;
}

/** Returns the result (any JSON value, or nothing); a throw answers `{ok: false, error: message}`. */
export type CommandHandler = (params: Record<string, unknown>, cmd: CommandInfo) => unknown;

/** The answer published on `devices/{id}/commands/{cmdId}/result` (docs/commands.md). */
export type CommandResult = { ok: true; result?: unknown } | { ok: false; error: string };

/** Command ids remembered to answer a redelivered command (QoS 1 DUP) without running it twice. */
const REMEMBERED = 256;

/**
 * Runs the handler registered for a command's name (or `*`) and builds its
 * answer. A command seen again (redelivered after a reconnect) is not run a
 * second time: its first answer is sent again, or nothing while it runs.
 */
export class CommandDispatcher {
  readonly #handlers = new Map<string, CommandHandler>();
  readonly #seen = new Map<string, Promise<CommandResult>>();

  get size(): number {
    return this.#handlers.size;
  }

  set(name: string, handler: CommandHandler): void {
    this.#handlers.set(name, handler);
  }

  /** The answer to send, or undefined when this command is already running. */
  async dispatch(cmd: IncomingCommand): Promise<CommandResult | undefined> {
    const earlier = this.#seen.get(cmd.id);
    if (earlier !== undefined) {
      const settled = await Promise.race([earlier, Promise.resolve(undefined)]);
      return settled;
    }
    const run = this.#run(cmd);
    this.#seen.set(cmd.id, run);
    if (this.#seen.size > REMEMBERED) this.#seen.delete(this.#seen.keys().next().value as string);
    return run;
  }

  async #run(cmd: IncomingCommand): Promise<CommandResult> {
    if (cmd.problem !== undefined) return { ok: false, error: cmd.problem };
    const handler = this.#handlers.get(cmd.name) ?? this.#handlers.get('*');
    if (!handler) return { ok: false, error: `unknown command ${JSON.stringify(cmd.name)}` };
    try {
      const result = await handler(cmd.params, { id: cmd.id, name: cmd.name, params: cmd.params });
      return result === undefined ? { ok: true } : { ok: true, result };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }
}
