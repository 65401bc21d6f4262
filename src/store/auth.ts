import type { ApiKey, Session, StoredApiKey, StoredUser } from '../auth/model.js';
import type { Page, PageQuery } from './page.js';

/** Storage of the auth context: operators, their sessions and API keys. */
export interface AuthStore {
  insertUser(u: StoredUser): Promise<void>;
  getUser(username: string): Promise<StoredUser | undefined>;
  /** `tenant` undefined lists users of every tenant (platform admins). */
  listUsers(tenant: string | undefined, q: PageQuery): Promise<Page<StoredUser>>;
  updateUser(u: StoredUser): Promise<void>;
  deleteUser(username: string): Promise<boolean>;
  countPlatformAdmins(): Promise<number>;

  insertSession(s: Session): Promise<void>;
  getSession(tokenHash: Buffer): Promise<Session | undefined>;
  deleteSession(tokenHash: Buffer): Promise<void>;
  deleteSessionsOf(username: string): Promise<void>;
  deleteExpiredSessions(now: number): Promise<number>;

  insertApiKey(k: StoredApiKey): Promise<void>;
  getApiKeyByHash(keyHash: Buffer): Promise<StoredApiKey | undefined>;
  getApiKey(tenant: string, id: string): Promise<ApiKey | undefined>;
  listApiKeys(tenant: string, q: PageQuery): Promise<Page<ApiKey>>;
  deleteApiKey(tenant: string, id: string): Promise<boolean>;
  touchApiKey(id: string, at: string): Promise<void>;
}
