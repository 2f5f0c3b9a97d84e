import type { ApiKey, Application, KeyStatus, Organization } from './model.js';
import type { Access } from './permissions.js';

export interface NewKey {
  readonly id: string;
  readonly organizationId: string;
  readonly applicationId: string;
  readonly name: string;
  readonly status: KeyStatus;
  readonly access: Access;
  readonly secretHash: string;
  readonly hint: string;
  readonly lastFour: string;
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
}

export interface KeyChanges {
  readonly name?: string;
  readonly status?: KeyStatus;
  readonly access?: Access;
  readonly expiresAt?: Date | null;
  readonly updatedAt: Date;
}

/**
 * What the domain needs from storage. Every read and write of an organization's data is
 * scoped by its id, so one tenant can never reach another's rows.
 */
export interface KeyplaneStore {
  insertKey(key: NewKey): Promise<ApiKey>;
  findKeyById(organizationId: string, id: string): Promise<ApiKey | null>;
  findKeyBySecretHash(secretHash: string): Promise<ApiKey | null>;
  listKeys(organizationId: string): Promise<ApiKey[]>;
  updateKey(organizationId: string, id: string, changes: KeyChanges): Promise<ApiKey | null>;
  /**
   * True when this call removed the key; false when it was already gone (or, with
   * `applicationId`, belongs to another application).
   */
  deleteKey(organizationId: string, id: string, applicationId?: string): Promise<boolean>;

  findApplication(organizationId: string, id: string): Promise<Application | null>;
  findDefaultApplication(organizationId: string): Promise<Application | null>;
  listApplications(organizationId: string): Promise<Application[]>;

  /** The organization the root credential belongs to, created with its default application on first use. */
  ensureDefaultOrganization(now: Date): Promise<Organization>;
  getSetting(name: string): Promise<string | null>;
  /** Stores `value` unless the setting exists; returns the value that is now stored. */
  putSettingIfAbsent(name: string, value: string): Promise<string>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
