import { randomUUID } from 'node:crypto';
import type { Application, KeyplaneStore, Organization } from '@keyplane/core';
import { describe, expect, it } from 'vitest';
import { withDefaultApplicationCache } from '../src/application-cache.js';

/** A store of applications in a map, counting the look-ups of default applications. */
function applicationStore() {
  const applications = new Map<string, Application>();
  let reads = 0;
  /** While set, look-ups find what they find at once but answer only once it resolves. */
  let held: Promise<void> | undefined;
  const store = {
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
  return { store, applications, reads: () => reads, hold: (until: Promise<void>) => (held = until) };
}

const application = (organizationId: string, name: string, isDefault = true): Application => ({
  id: randomUUID(),
  organizationId,
  name,
  description: null,
  isDefault,
  createdAt: new Date(),
});

describe('the default application cache', () => {
  it('reads an organization’s default application once', async () => {
    const { store, reads } = applicationStore();
    const cached = withDefaultApplicationCache(store);
    const organization = { id: randomUUID(), name: 'o', createdAt: new Date() };
    const first = application(organization.id, 'default');
    await cached.insertOrganization(organization, first, {} as never, []);
    expect(await cached.findDefaultApplication(organization.id)).toEqual(first);
    expect(await cached.findDefaultApplication(organization.id)).toEqual(first);
    expect(reads()).toBe(1);
  });

  it('does not remember that an organization has none: it may be created next', async () => {
    const { store } = applicationStore();
    const cached = withDefaultApplicationCache(store);
    const organization = { id: randomUUID(), name: 'o', createdAt: new Date() };
    expect(await cached.findDefaultApplication(organization.id)).toBeNull();
    const created = application(organization.id, 'default');
    await cached.insertOrganization(organization, created, {} as never, []);
    expect(await cached.findDefaultApplication(organization.id)).toEqual(created);
  });

  it('drops an organization’s entry when one of its applications is written', async () => {
    const { store, applications, reads } = applicationStore();
    const cached = withDefaultApplicationCache(store);
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
    const cached = withDefaultApplicationCache(store);
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
