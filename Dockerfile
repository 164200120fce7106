# Rowcast in a container: the server, the chat app, the change stream and the rules, against the PostgreSQL and
# Redis that compose.yaml starts beside it (DATABASE_URL / REDIS_URL). Minimal on purpose; not built in CI here
# (the build machine has no container runtime), so treat it as a starting point and build it where you deploy.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages ./packages
COPY apps ./apps
RUN npm ci --no-fund --no-audit && npm run --workspace @rowcast/chat build
COPY rowcast.config.json ./
ENV NODE_ENV=production
# Keys generated at first start and the chat's cookie secret live here: mount a volume to keep them.
RUN mkdir -p /app/.rowcast && chown node:node /app/.rowcast
USER node
EXPOSE 8080
CMD ["node", "packages/cli/bin/rowcast.js", "start", "--log-format", "json"]
