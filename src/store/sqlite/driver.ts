import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);

/**
 * The SQLite driver for this runtime. better-sqlite3 12 wraps its objects
 * with `node::ObjectWrap`, which since Node 24.19 aborts the whole process
 * when a garbage-collected statement is finalised outside a JS context
 * (nodejs/node#65446; seen here in CI on 24.21). better-sqlite3 13 uses
 * Node-API and is immune, but needs Node 22 (on 20 it segfaults). Both are
 * installed (13 under the alias `better-sqlite3-napi`, with prebuilt
 * binaries) and the one this Node supports is loaded. Same API, same types.
 */
export const Database: typeof BetterSqlite3 = require(major >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3');

export const SQLITE_DRIVER = major >= 22 ? 'better-sqlite3@13 (Node-API)' : 'better-sqlite3@12';
