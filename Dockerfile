# signalbox: one image for the controller and the speaker (deploy/ runs both from it).
#
#   docker build -t signalbox:0.1.0 .
#
# Node.js 24 LTS, the major the project pins for development and tests (package.json: the
# `node` devDependency and engines); test/unit/deploy/image.test.ts keeps them equal.
# Three stages: `build` compiles (gcc for the N-API addon, tsc for the TypeScript), `deps`
# installs the production dependencies only, and the runtime stage copies the results onto a
# fresh base: no compiler, no devDependencies, no npm, no sources.

# --- build: native addon and TypeScript ----------------------------------------------------
FROM node:24-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends gcc libc6-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Every dependency, dev ones included: typescript, node-api-headers (the addon's headers) and
# the pinned `node` 24 that npm scripts run on.
RUN npm ci --no-audit --no-fund
COPY native ./native
RUN npm run build:native
COPY tsconfig.json tsconfig.build.json ./
COPY protocol ./protocol
COPY src ./src
COPY bench ./bench
RUN npm run build

# --- deps: production node_modules only ----------------------------------------------------
# A separate `npm ci --omit=dev` rather than pruning the build stage's tree: the `node`
# devDependency (a whole second Node, ~120 MB) and the compilers never get in, and no
# install script runs (none of the production dependencies needs one).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Type declarations and source maps are never loaded at run time (half of client-node's 62 MB).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && test ! -e node_modules/node \
  && test ! -e node_modules/typescript \
  && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete

# --- runtime -----------------------------------------------------------------------------
FROM node:24-bookworm-slim
# The image's system Node runs signalbox; npm, npx and corepack are not needed at run time.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
    /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
  && printf '#!/bin/sh\nexec node /app/dist/src/cli/main.js "$@"\n' \
    > /usr/local/bin/signalbox \
  && chmod 0755 /usr/local/bin/signalbox
WORKDIR /app
ENV NODE_ENV=production
# package.json: "type": "module" makes Node load dist/**/*.js as ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/protocol ./dist/protocol
COPY --from=build /app/native/build/netsys.node ./native/build/netsys.node
# Everything above is owned by root and read-only to the process. The default user is
# non-root (65532, as distroless images use): right for the controller and `signalbox` CLI
# commands. The speaker's DaemonSet sets runAsUser: 0 with only NET_RAW and
# NET_BIND_SERVICE, because Kubernetes cannot give a non-root process ambient capabilities.
USER 65532:65532
# The manifests choose Node flags per role (deploy/speaker.yaml: a small young generation).
# `kubectl exec … -- signalbox status` works too (/usr/local/bin/signalbox).
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["--help"]
