# signalbox: one image for the controller and the speaker.
# Node.js 24 LTS, the same major the project pins for development and tests (package.json).
FROM node:24-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY native ./native
RUN npm run build:native
COPY protocol ./protocol
COPY src ./src
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/build ./native/build
COPY package.json ./
# The speaker needs NET_BIND_SERVICE (BGP on port 179) and, for layer 2, NET_RAW. It runs as
# uid 0 so that those capabilities, granted by the DaemonSet with everything else dropped,
# take effect (a non-root user would lose them without ambient capabilities). The controller
# runs as a non-root user through its Deployment's securityContext.
# --max-semi-space-size=1: a small young generation keeps the speaker's RSS low (bench/bgp.ts).
ENTRYPOINT ["node", "--max-semi-space-size=1", "dist/src/cli/main.js"]
CMD ["--help"]
