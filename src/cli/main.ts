#!/usr/bin/env node
import { CommanderError } from 'commander';
import { CliError } from './errors.js';
import { buildProgram } from './program.js';

/**
 * The `plexus` executable. Exit codes: 0 ok, 1 API or network error,
 * 2 usage error (unknown command, missing argument, malformed option).
 */
function exitCodeOf(err: unknown): number {
  // Commander has already printed its own message (or the help).
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  if (err instanceof CliError) {
    for (const line of err.lines) process.stderr.write(`${line}\n`);
    return err.exitCode;
  }
  process.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

// `plexus devices list | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeOf(err);
}
