# syntax=docker/dockerfile:1
# One image for every Star service; the command selects which one runs:
#   docker build -t star .
#   docker run star node        (or manager, checkpointer, gateway)
# docker-compose.yml runs the whole topology from it. Configuration: docs/configuration.md.

ARG NODE_VERSION=20.19

# --- build: install with the lockfile, build, prune to production dependencies ---------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
# A C++ toolchain for native modules (better-sqlite3, msgpackr-extract) when no prebuilt binary fits.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0 TURBO_TELEMETRY_DISABLED=1 CI=true
RUN corepack enable
WORKDIR /src
# Dependencies first, from the lockfile alone, so this layer is cached until the lockfile changes.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --offline --frozen-lockfile
RUN pnpm exec turbo run build \
  --filter=@star/manager --filter=@star/node --filter=@star/checkpointer --filter=@star/gateway
# Keep only what runs: production dependencies (reinstalled from the fetched store with the
# lockfile; `pnpm prune` leaves workspace links out) and the built dist/ of the four services and
# the packages they import.
RUN rm -rf node_modules apps/*/node_modules packages/*/node_modules test/node_modules \
    .turbo apps/*/src packages/*/src packages/bench packages/cli packages/testkit test \
  && pnpm install --offline --frozen-lockfile --prod

# --- runtime: the built services and their production dependencies, as a non-root user -------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# Settings every service knows (docs/configuration.md); the rest come per service from compose.
ENV NODE_ENV=production \
  STAR_HOST=0.0.0.0 \
  STAR_PORT=8080
WORKDIR /app
# Owned by the runtime user, so fresh volumes mounted here start writable by it.
RUN mkdir -p /var/lib/star/data /var/lib/star/images && chown -R node:node /var/lib/star
COPY --from=build --chown=node:node /src /app
COPY --chown=node:node docker/entrypoint.sh /app/docker/entrypoint.sh
USER node
EXPOSE 8080
# Every service answers GET /health (200 when its checks pass) on STAR_PORT.
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.STAR_PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gateway"]
