# vas-crm-gateway: builds better-sqlite3 from source, runs as a non-root user, keeps data on a volume.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --build-from-source

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    DATABASE_PATH=/data/gateway.db \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY channels ./channels
COPY flows ./flows
COPY migrations ./migrations
COPY config ./config
RUN groupadd --system vasgw && useradd --system --gid vasgw --home /app vasgw \
    && mkdir -p /data && chown vasgw:vasgw /data
USER vasgw
VOLUME ["/data"]
EXPOSE 3000 2775
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "src/vasgw.mjs", "serve"]
