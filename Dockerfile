# streamtune for docker compose (and podman: see README "Containers").
# Where the build reaches the internet, tfjs-node's install script fetches native
# TensorFlow; where it cannot, the build says so, tfjs-node stays without its native
# part and streamtune runs on WASM (the start-up log says which backend it chose).
FROM node:20-bookworm
# compose:smoke prunes this image's superseded builds by this label.
LABEL org.opencontainers.image.title=streamtune
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
# The npm cache lives in a build cache mount, so a changed lockfile only fetches what changed.
# Install scripts run apart: the others only print banners, tfjs-node's may fail (then
# the package stays for its types and streamtune picks WASM at start).
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts
RUN npm rebuild @tensorflow/tfjs-node >/tmp/tfjs-node-install.log 2>&1 || \
    echo "tfjs-node: no native TensorFlow could be fetched or built (tail of its log below); streamtune will run on WASM" && tail -n 5 /tmp/tfjs-node-install.log
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY proto ./proto
COPY data ./data
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev
ENV STREAMTUNE_GRPC_HOST=0.0.0.0 STREAMTUNE_GRPC_ALLOW_PLAINTEXT_NETWORK=true STREAMTUNE_METRICS_HOST=0.0.0.0 STREAMTUNE_METRICS_ALLOW_PLAINTEXT_NETWORK=true STREAMTUNE_REGISTRY_DIR=/var/lib/streamtune/registry
EXPOSE 50051 8000 9464 9466
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
