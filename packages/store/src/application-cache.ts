import type { Application, KeyplaneStore } from '@keyplane/core';

/** Applications kept by id, and default applications kept by organization, at most; the oldest found is dropped first. */
const MAX_APPLICATIONS = 10_000;

const keep = <K, V>(map: Map<K, V>, key: K, value: V) => {
  if (map.size >= MAX_APPLICATIONS) map.delete(map.keys().next().value as K);
  map.set(key, value);
};

/**
 * Keeps applications in memory once found: each organization's default one, which every key
 * created without naming its application looks up, and those found by id, which every request
 * naming an application (Kadosei's lists of its keys) looks up. An application is written once
 * and no operation changes or removes it, so an entry stays true on every instance sharing the
 * store. An application found by id stays that application; the cache never says one is missing.
 * The default application is created with its organization, so an entry for it stays true too. An organization without one is not remembered (it may be
 * created next), and every application written for an organization here drops its entry,
 * as does a look-up overtaken by such a write. An operation that changed which application
 * is the default would have to tell the other instances, as key changes do.
 */
export function withApplicationCache(store: KeyplaneStore): KeyplaneStore {
  const defaults = new Map<string, Application>();
  const byId = new Map<string, Application>();
  /** Counts application writes, so that a look-up overtaken by one does not keep what it read before it. */
  let writes = 0;
  const forget = (organizationId: string) => {
    writes += 1;
    defaults.delete(organizationId);
  };
  const forgetAfter = async <T>(organizationId: string, write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      forget(organizationId);
    }
  };

  return {
    ...store,
    async findApplication(organizationId, id) {
      const cached = byId.get(id);
      if (cached) return cached.organizationId === organizationId ? cached : null;
      const found = await store.findApplication(organizationId, id);
      if (found) keep(byId, id, found);
      return found;
    },
    async findDefaultApplication(organizationId) {
      const cached = defaults.get(organizationId);
      if (cached) return cached;
      const seen = writes;
      const found = await store.findDefaultApplication(organizationId);
      if (found && writes === seen) keep(defaults, organizationId, found);
      return found;
    },
    insertApplication: (application, audit) =>
      forgetAfter(application.organizationId, store.insertApplication(application, audit)),
    insertOrganization: (organization, application, adminKey, audit) =>
      forgetAfter(organization.id, store.insertOrganization(organization, application, adminKey, audit)),
    async ensureDefaultOrganization(now) {
      writes += 1;
      const organization = await store.ensureDefaultOrganization(now);
      forget(organization.id);
      return organization;
    },
  };
}
