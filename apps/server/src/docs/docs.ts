import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv } from '../http/env.js';

/**
 * The API reference at `/docs`: Scalar's browser bundle, rendering the served contract
 * (`/openapi.json`). Everything the page needs is served from here — no font, script or
 * request goes to a CDN or to Scalar's proxy — and the Content-Security-Policy holds the
 * browser to that.
 *
 * These are pages, not API operations: they are not in the contract, and answer HTML and
 * JavaScript whatever `Accept` says.
 */

/** The request samples shown: curl, JavaScript's fetch, Python's requests and Go's net/http. */
const SHOWN_CLIENTS: Readonly<Record<string, string>> = {
  shell: 'curl',
  js: 'fetch',
  python: 'requests',
  go: 'native',
};

/** Every target and client Scalar knows; all but the shown ones are hidden. */
const SCALAR_CLIENTS: Readonly<Record<string, readonly string[]>> = {
  c: ['libcurl'],
  clojure: ['clj_http'],
  csharp: ['httpclient', 'restsharp'],
  dart: ['http'],
  fsharp: ['httpclient'],
  go: ['native'],
  http: ['http1.1'],
  java: ['asynchttp', 'nethttp', 'okhttp', 'unirest'],
  js: ['axios', 'fetch', 'jquery', 'ofetch', 'xhr'],
  kotlin: ['okhttp'],
  node: ['axios', 'fetch', 'ofetch', 'undici'],
  objc: ['nsurlsession'],
  ocaml: ['cohttp'],
  php: ['curl', 'guzzle'],
  powershell: ['restmethod', 'webrequest'],
  python: ['python3', 'requests', 'httpx_sync', 'httpx_async'],
  r: ['httr'],
  ruby: ['native'],
  rust: ['reqwest'],
  shell: ['curl', 'httpie', 'wget'],
  swift: ['nsurlsession'],
};

const hiddenClients = Object.fromEntries(
  Object.entries(SCALAR_CLIENTS).map(([target, clients]) => {
    const shown = SHOWN_CLIENTS[target];
    return [target, shown ? clients.filter((client) => client !== shown) : true];
  }),
);

/** Scalar's configuration; `servers` is the page's own origin, so that "try it" calls this server. */
const configuration = {
  url: '/openapi.json',
  withDefaultFonts: false,
  // Scalar would send requests to other origins through its hosted proxy; an empty one sends them directly.
  proxyUrl: '',
  hideClientButton: true,
  hiddenClients,
  defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
  telemetry: false,
  // Its AI agent asks Scalar's servers for documents.
  agent: { disabled: true },
  showDeveloperTools: 'never',
};

const INIT_SCRIPT = `const configuration = ${JSON.stringify(configuration)};
configuration.servers = [{ url: window.location.origin, description: 'This keyplane server' }];
window.Scalar.createApiReference('#reference', configuration);
`;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>keyplane API reference</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <div id="reference"></div>
    <script src="/docs/scalar.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

/** Nothing but this server: scripts, styles, fonts and requests alike. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The file the deployable artifact carries Scalar's browser bundle in, beside the server's own file. */
const SCALAR_BUNDLE_FILE = 'scalar-standalone.js';

function scalarBundle(): string {
  const beside = new URL(`./${SCALAR_BUNDLE_FILE}`, import.meta.url);
  if (existsSync(beside)) return readFileSync(beside, 'utf8');
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@scalar/api-reference');
  // The package's entry is dist/index.js; the standalone browser bundle sits beside it.
  return readFileSync(join(dirname(entry), 'browser', 'standalone.js'), 'utf8');
}

/** Serves the reference page and its assets, read once, when the app is built. */
export function registerDocs(app: Hono<AppEnv>): void {
  const bundle = scalarBundle();
  const assets: Record<string, string> = { 'scalar.js': bundle, 'init.js': INIT_SCRIPT };
  app.get('/docs', (c) => {
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('X-Content-Type-Options', 'nosniff');
    return c.html(PAGE);
  });
  app.get('/docs/:asset', (c) => {
    const asset = assets[c.req.param('asset')];
    if (asset === undefined) return c.notFound();
    // The bundle changes only with the installed package; the answers hold no secret.
    c.header('Cache-Control', 'public, max-age=3600');
    c.header('X-Content-Type-Options', 'nosniff');
    return c.body(asset, 200, { 'Content-Type': 'text/javascript; charset=utf-8' });
  });
}
