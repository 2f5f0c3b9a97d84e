#!/bin/sh
# `pnpm start`: bundles the server from the sources of the workspaces it imports (esbuild, a few
# seconds; no type-check of tests or benchmarks on this path — `pnpm test` type-checks), then
# becomes the server (`exec`): pnpm passes SIGTERM and SIGINT on to it and exits with its status,
# and stdout is the server's own, JSON lines only. What is said along the way goes to stderr.
set -eu
cd "$(dirname "$0")/../apps/server"
node scripts/bundle.mjs >&2
exec node dist-bundle/main.mjs "$@"
