import { randomUUID } from 'node:crypto';
import type { Application, KeyplaneStore, Organization } from '@keyplane/core';
import { describe, expect, it } from 'vitest';
import { withApplicationCache } from '../src/application-cache.js';

/** A store of applications in a map, counting the look-ups of default applications. */
function applicationStore() {
  const applications = new Map<string, Application>();
  let reads = 0;
  let readsById = 0;
  /** While set, look-ups find what they find at once but answer only once it resolves. */
  let held: Promise<void> | undefined;
  const store = {
    async findApplication(organizationId: string, id: string) {
      readsById += 1;
      const found = applications.get(id);
      return found?.organizationId === organizationId ? found : null;
    },
    async findDefaultApplication(organizationId: string) {
      reads += 1;
      const found = [...applications.values()].find((a) => a.organizationId === organizationId && a.isDefault);
      await held;
      return found ?? null;
    },
    async insertApplication(application: Application) {
      applications.set(application.id, application);
      return application;
    },
    async insertOrganization(_organization: Organization, application: Application) {
      applications.set(application.id, application);
    },
  } as unknown as KeyplaneStore;
  return {
    store,
    applications,
    reads: () => reads,
    readsById: () => readsById,
    hold: (until: Promise<void>) => (held = until),
  };
}

const application = (organizationId: string, name: string, isDefault = true): Application => ({
  id: randomUUID(),
  organizationId,
  name,
  description: null,
  isDefault,
  createdAt: new Date(),
});

describe('the application cache', () => {
  it('reads an application by id once, and only within its own organization', async () => {
    const { store, applications, readsById } = applicationStore();
    const cached = withApplicationCache(store);
    const organizationId = randomUUID();
    const found = application(organizationId, 'payments', false);
    applications.set(found.id, found);
    expect(await cached.findApplication(organizationId, found.id)).toEqual(found);
    expect(await cached.findApplication(organizationId, found.id)).toEqual(found);
    expect(readsById()).toBe(1);
    expect(await cached.findApplication(randomUUID(), found.id)).toBeNull();
  });

  it('does not remember that an application is missing: it may be created next', async () => {
    const { store, readsById } = applicationStore();
    const cached = withApplicationCache(store);
    const organizationId = randomUUID();
    const later = application(organizationId, 'later', false);
    expect(await cached.findApplication(organizationId, later.id)).toBeNull();
    await cached.insertApplication(later, {} as never);
    expect(await cached.findApplication(organizationId, later.id)).toEqual(later);
    expect(readsById()).toBe(2);
  });

  it('reads an organization’s default application once', async () => {
    const { store, reads } = applicationStore();
    const cached = withApplicationCache(store);
    const organization = { id: randomUUID(), name: 'o', createdAt: new Date() };
    const first = application(organization.id, 'default');
    await cached.insertOrganization(organization, first, {} as never, []);
    expect(await cached.findDefaultApplication(organization.id)).toEqual(first);
    expect(await cached.findDefaultApplication(organization.id)).toEqual(first);
    expect(reads()).toBe(1);
  });

  it('does not remember that an organization has none: it may be created next', async () => {
    const { store } = applicationStore();
    const cached = withApplicationCache(store);
    const organization = { id: randomUUID(), name: 'o', createdAt: new Date() };
    expect(await cached.findDefaultApplication(organization.id)).toBeNull();
    const created = application(organization.id, 'default');
    await cached.insertOrganization(organization, created, {} as never, []);
    expect(await cached.findDefaultApplication(organization.id)).toEqual(created);
  });

  it('drops an organization’s entry when one of its applications is written', async () => {
    const { store, applications, reads } = applicationStore();
    const cached = withApplicationCache(store);
    const organizationId = randomUUID();
    const before = application(organizationId, 'default');
    applications.set(before.id, before);
    expect(await cached.findDefaultApplication(organizationId)).toEqual(before);
    // Written elsewhere in the store: the one the cache must not keep answering with.
    applications.delete(before.id);
    const after = application(organizationId, 'replacement');
    await cached.insertApplication(after, {} as never);
    expect(await cached.findDefaultApplication(organizationId)).toEqual(after);
    expect(reads()).toBe(2);
  });

  it('does not keep what a look-up read before an application was written beside it', async () => {
    const { store, applications, hold } = applicationStore();
    const cached = withApplicationCache(store);
    const organizationId = randomUUID();
    const before = application(organizationId, 'default');
    applications.set(before.id, before);
    let answer = () => {};
    hold(new Promise<void>((resolve) => (answer = resolve)));
    const reading = cached.findDefaultApplication(organizationId);
    applications.delete(before.id);
    const after = application(organizationId, 'replacement');
    await cached.insertApplication(after, {} as never);
    answer();
    expect(await reading).toEqual(before);
    hold(Promise.resolve());
    expect(await cached.findDefaultApplication(organizationId)).toEqual(after);
  });
});
