import type { TwinDoc, TwinSide } from '../../twin/model.js';

/** Twin rows ↔ documents, shared by the SQLite and PostgreSQL stores (same columns). */
export interface TwinRow {
  version: number;
  desired: string;
  desired_version: number;
  desired_updated: string;
  reported: string;
  reported_version: number;
  reported_updated: string;
}

const side = (state: string, version: number, updated: string): TwinSide => ({
  state: JSON.parse(state),
  version,
  updated: JSON.parse(updated),
});

export const toTwin = (r: TwinRow): TwinDoc => ({
  version: r.version,
  desired: side(r.desired, r.desired_version, r.desired_updated),
  reported: side(r.reported, r.reported_version, r.reported_updated),
});

/** The columns of `twins` after tenant and device, in table order. */
export const twinValues = (doc: TwinDoc) => [
  doc.version,
  JSON.stringify(doc.desired.state),
  doc.desired.version,
  JSON.stringify(doc.desired.updated),
  JSON.stringify(doc.reported.state),
  doc.reported.version,
  JSON.stringify(doc.reported.updated),
];
