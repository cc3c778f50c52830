# syntax=docker/dockerfile:1
# The `odin` CLI in a small image: `docker run odin gateway --nats ...`,
# `odin publisher ...`, `odin dev`. Two stages: the build stage compiles the
# TypeScript with the dev dependencies; the runtime stage has only production
# dependencies (the client SDK package among them), the compiled JavaScript and the demo page, and runs as the
# unprivileged `node` user. test/deploy/dockerfile.test.ts lints this file.

# ---- build ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The client SDK is a workspace package the gateway depends on (packages/client).
COPY packages/client/package.json ./packages/client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY packages/client/tsconfig.json ./packages/client/
COPY packages/client/src ./packages/client/src
COPY src ./src
# What `npm run build` runs beside tsc: the install check, the build stamp (npm start skips an unchanged build) and the bin's executable bit.
COPY scripts/check-install.mjs scripts/build-stamp.mjs scripts/bin-executable.mjs ./scripts/
RUN npm run build

# ---- runtime ----
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# JSON log lines even under `docker run -t` (a terminal would make them pretty): Loki and the alerts parse JSON.
ENV LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/client/package.json ./packages/client/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/packages/client/dist ./packages/client/dist
COPY --from=build /app/dist/src ./dist/src
COPY public ./public
USER node
# 3004: gateway (WebSocket /ws, /health, /livez, /readyz, /metrics); 3003: publisher control API.
# No HEALTHCHECK here: one image runs the gateway, the publisher or dev, each
# with its own probe; docker-compose.yml sets them (gateways: /livez).
EXPOSE 3004 3003
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["gateway"]
