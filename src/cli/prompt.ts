import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { usageError } from './errors.js';

/**
 * Interactive input. Prompts go to stderr so `--json` output stays clean,
 * and only happen on a terminal: scripts get a usage error naming the flag
 * to pass instead of a hang.
 */

export function isInteractive(): boolean {
  return process.stdin.isTTY === true;
}

/** Asks one question on the terminal; `hidden` stops the answer being echoed (passwords). */
export async function ask(question: string, hidden = false): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(question);
    // The prompt has been written synchronously; from here on, keystrokes are not echoed.
    muted = hidden;
    const text = await answer;
    if (hidden) process.stderr.write('\n');
    return text;
  } finally {
    rl.close();
  }
}

/** All of stdin, without the final newline (`echo pw | plexus login --password-stdin`). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export interface PasswordSource {
  readonly password?: string;
  readonly passwordStdin?: boolean;
}

/** A password from `--password`, `--password-stdin`, or a hidden prompt (twice when `confirm`). */
export async function obtainPassword(src: PasswordSource, confirm = false): Promise<string> {
  if (src.password !== undefined && src.passwordStdin) {
    throw usageError('use either --password or --password-stdin, not both');
  }
  if (src.password !== undefined) return src.password;
  if (src.passwordStdin) return readStdin();
  if (!isInteractive()) throw usageError('no password given: pass --password-stdin (or run in a terminal)');
  const first = await ask('Password: ', true);
  if (confirm && (await ask('Repeat password: ', true)) !== first) throw usageError('passwords do not match');
  return first;
}

/** True when the user agreed, `--yes` was given, or nobody is there to ask (not a terminal). */
export async function confirmed(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes || !isInteractive()) return true;
  const answer = await ask(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}
