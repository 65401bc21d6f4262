import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the compiled `plexus` executable as a user would, asynchronously (the
 * server under test lives in this process, so a sync spawn would deadlock).
 * No PLEXUS_* variable leaks in from the test's own environment.
 */
export function runCli(args: readonly string[], env: Record<string, string>, input = ''): Promise<CliRun> {
  const full: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(full)) if (k.startsWith('PLEXUS_')) delete full[k];
  Object.assign(full, env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: full, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
