import type { Server } from 'node:net';
import { defineErrors, PlexusError } from './errors.js';

export const AppErrors = defineErrors('APP', {
  PORT_IN_USE: { status: 500, title: 'Port already in use' },
  LISTEN_FAILED: { status: 500, title: 'Cannot listen' },
});

/** Where a port comes from, so an error can say how to move it. */
export interface PortSetting {
  readonly setting: string;
  readonly env: string;
  /** Who usually holds this port, for the message. */
  readonly usualOwner?: string;
}

/** Turns a listen failure into one line naming the port, the setting that moves it and the likely owner. */
export function listenError(err: unknown, port: number, where: PortSetting): PlexusError {
  const code = (err as { code?: string }).code;
  if (code === 'EADDRINUSE') {
    const owner = where.usualOwner ? ` (${where.usualOwner} often holds it)` : '';
    return new PlexusError(
      AppErrors.PORT_IN_USE,
      `port ${port} is already in use: set ${where.setting} (or ${where.env}) to another port, or stop the program holding it${owner}; see: ss -ltnp 'sport = :${port}'`,
      { cause: err },
    );
  }
  return new PlexusError(
    AppErrors.LISTEN_FAILED,
    `cannot listen on port ${port} (${where.setting}): ${(err as Error).message}`,
    {
      cause: err,
    },
  );
}

/** Binds a net/tls server; resolves with the bound port. */
export function listenOn(server: Server, host: string, port: number, where: PortSetting): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(listenError(err, port, where));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
