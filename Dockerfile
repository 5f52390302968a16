# streamtune for docker compose. Where the build can reach the internet, tfjs-node's
# own install script fetches native TensorFlow (npm 10 runs it); where it cannot,
# run `npm run setup:native` or let streamtune fall back to WASM (logged at start).
FROM node:20-bookworm
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY proto ./proto
COPY data ./data
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev
ENV STREAMTUNE_GRPC_HOST=0.0.0.0 STREAMTUNE_GRPC_ALLOW_PLAINTEXT_NETWORK=true STREAMTUNE_METRICS_HOST=0.0.0.0 STREAMTUNE_REGISTRY_DIR=/var/lib/streamtune/registry
EXPOSE 50051 8000 9464
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
