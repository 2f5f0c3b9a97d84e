import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOpenApiDocument } from '@keyplane/contract';
import { generateSecret } from '@keyplane/core';
import { type BrowserContext, chromium, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from './support/process.js';

/** Debian's Chromium, which `.ci/run` installs when it is missing; no tool downloads a browser. */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../test-artifacts/docs.png', import.meta.url));

const tags = (loadOpenApiDocument() as { tags: { name: string }[] }).tags.map(({ name }) => name);

describe('the API reference at /docs, in a real browser', () => {
  let server: ServerProcess;
  let browser: BrowserContext;
  let dataDir: string;
  let profileDir: string;
  const rootKey = generateSecret();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyplane-docs-'));
    profileDir = await mkdtemp(join(tmpdir(), 'keyplane-chromium-'));
    server = await startServerProcess({ KEYPLANE_DATA_DIR: dataDir, KEYPLANE_ROOT_KEY: rootKey });
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(profileDir, { recursive: true, force: true });
  });

  it('serves the page and its assets itself, with a policy that allows nothing else', async () => {
    const page = await fetch(`${server.url}/docs`, { headers: { Accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await page.text();
    // Every script the page loads is one of keyplane's own paths.
    expect([...html.matchAll(/src="([^"]+)"/g)].map(([, src]) => src)).toEqual(['/docs/scalar.js', '/docs/init.js']);
    for (const asset of ['scalar.js', 'init.js']) {
      const response = await fetch(`${server.url}/docs/${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/javascript/);
    }
    expect((await fetch(`${server.url}/docs/nothing.js`)).status).toBe(404);
  });

  it('renders the contract grouped by dialect, with four request samples, and a try-it call succeeds', async () => {
    const page = await browser.newPage();
    // A hang guard only: every step waits for what it needs to see.
    page.setDefaultTimeout(60_000);
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => {
      requested.push(request.url());
    });
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A request the Content-Security-Policy stopped never reaches the 'request' event: it shows here.
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });

    await page.goto(`${server.url}/docs`);
    await page.getByText('Client Libraries').first().waitFor();

    // Grouped by dialect: one group for each tag of the contract, keyplane's own operations listed.
    expect(tags.sort()).toEqual(['aerospike', 'diga', 'discue', 'kadosei', 'keyplane']);
    const sidebar = page.locator('.sidebar, nav, aside').first();
    for (const tag of tags) await expect(sidebar.getByText(tag, { exact: true }).count()).resolves.toBeGreaterThan(0);
    for (const summary of ['Verify an API key', 'Rotate an API key', 'List audit events', 'Create an organization']) {
      await page.getByText(summary).first().waitFor();
    }

    // Request samples: exactly curl, JavaScript's fetch, Python's requests and Go's net/http.
    await page.locator('.client-libraries__select').click();
    const clients = (await page.locator('[id^="headlessui-popover-panel"]').allInnerTexts()).join('\n');
    expect(
      clients
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    ).toEqual(['Go', 'NewRequest', 'JavaScript', 'Fetch', 'Python', 'Requests', 'Shell', 'Curl']);
    await page.keyboard.press('Escape');

    // Try it: a key entered in the page, a call to this very server.
    await page
      .getByRole('button', { name: /Auth Type/ })
      .first()
      .click();
    await page.getByRole('option', { name: 'KeyplaneBearer' }).click();
    await page.keyboard.press('Escape');
    await page.getByPlaceholder('Token').first().fill(rootKey);
    await page.getByRole('button', { name: 'Test Request (get /v1/audit-events)' }).click();
    const answered = page.waitForResponse(
      (response: Response) => new URL(response.url()).pathname === '/v1/audit-events',
    );
    await page.getByRole('button', { name: /^Send/ }).first().click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers().authorization).toBe(`Bearer ${rootKey}`);
    expect(await response.json()).toEqual({ data: expect.any(Array), nextCursor: null });
    await page.getByText('200 OK').first().waitFor();
    await page.screenshot({ path: SCREENSHOT });

    const origins = new Set(requested.map((url) => new URL(url).origin));
    expect([...origins]).toEqual([server.url]);
    expect(requested).toEqual(expect.arrayContaining([`${server.url}/docs/scalar.js`, `${server.url}/openapi.json`]));
    expect(problems).toEqual([]);
  }, 120_000);
});
