# Build: compile the protos (buf is a dev dependency) and the TypeScript to dist/
# (plain JavaScript starts leaner than type stripping), then keep runtime deps only.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-slim
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build/descriptors.binpb /app/build/codec.binpb ./build/
COPY --from=build /app/dist ./dist
COPY package.json ./
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=16"
# Two glibc malloc arenas instead of one per thread: ~20 MB less RSS under churn, no CPU cost measured.
ENV MALLOC_ARENA_MAX=2
USER 10001:10001
EXPOSE 50051 8086 9464
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "--config", "/etc/certgate/config/deployment.toml"]
