# keyplane's server image: the artifact of `pnpm bundle` (apps/server/dist-bundle: one bundled
# file, the merged contract and the embedded store's WebAssembly) on Node.js, nothing else.
# No container engine runs where keyplane is developed and tested: a test checks this file's
# structure (apps/server/test/deployment.test.ts); it is not built there.

FROM node:20-slim AS build
ENV COREPACK_INTEGRITY_KEYS=0 TURBO_TELEMETRY_DISABLED=1
WORKDIR /src
COPY . .
RUN corepack enable && pnpm install --frozen-lockfile && pnpm bundle

FROM node:20-slim
# The embedded store lives in the volume; nothing else is written, so the root filesystem may
# be read-only (`docker run --read-only -v keyplane-data:/data …`, compose's `read_only: true`).
ENV NODE_ENV=production PORT=3000 KEYPLANE_DATA_DIR=/data
WORKDIR /app
COPY --from=build /src/apps/server/dist-bundle/ /app/
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
# Liveness, with Node's own fetch: the slim image has no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "main.mjs"]
