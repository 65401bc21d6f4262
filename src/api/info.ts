import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

const InfoSchema = Type.Object({
  version: Type.String(),
  mqtt: Type.Optional(
    Type.Object({ tcp: Type.Integer(), tls: Type.Optional(Type.Integer()), ws: Type.String() }),
  ),
  map: Type.Optional(Type.Object({ tiles: Type.String(), attribution: Type.String() })),
});

export interface InfoOptions {
  readonly version: string;
  /** Bound broker ports, once a broker runs (ARCHITECTURE §6.1). */
  readonly mqtt: () => { tcp: number; tls?: number; ws: string } | undefined;
  /** The dashboard map's tiles (dashboard.mapTiles; empty: none). */
  readonly map?: { readonly tiles: string; readonly attribution: string };
}

/** `GET /api/v1/info` (no auth): how the CLI, SDK and simulator find the broker from the URL alone. */
export const infoRoutes: FastifyPluginAsyncTypebox<InfoOptions> = async (app, opts) => {
  app.get('/info', {
    config: { public: true },
    schema: {
      tags: ['info'],
      summary: 'Version and broker endpoints',
      security: [],
      response: { 200: InfoSchema },
    },
    handler: async () => {
      const mqtt = opts.mqtt();
      return { version: opts.version, ...(mqtt ? { mqtt } : {}), ...(opts.map ? { map: opts.map } : {}) };
    },
  });
};
