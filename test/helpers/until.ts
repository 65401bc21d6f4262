import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` until it gives a value (anything but undefined or false) and
 * returns it; after `ms` fails naming `what`. For stories that unfold over
 * seconds (a simulated fleet, a rule's duration) where no event says "now".
 */
export async function until<T>(
  check: () => Promise<T | undefined | false>,
  ms: number,
  what: string,
  everyMs = 150,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
