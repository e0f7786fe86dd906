# The Montu server/worker image that docs/examples/compose.yaml runs: `montu serve`, `montu worker`
# or any other `montu` command (the entry point). Debian 12 with ffmpeg and exiftool from apt.
#   docker build -t montu:local .
#   docker run --rm -p 8470:8470 -v montu-data:/var/lib/montu montu:local serve --host 0.0.0.0
FROM node:20-bookworm-slim AS build
# Compilers for native modules (better-sqlite3) when no prebuilt binary matches, and the ffmpeg
# headers the stay-open prober (montu-avprobe, decision 245) is built against.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ pkg-config \
     libavformat-dev libavcodec-dev libavutil-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
  && npm run build \
  && bash scripts/build-avprobe.sh \
  && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg libimage-exiftool-perl tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
RUN ln -s /app/packages/cli/bin/montu.js /usr/local/bin/montu \
  && useradd --system --home-dir /var/lib/montu montu \
  && mkdir -p /var/lib/montu && chown montu /var/lib/montu && chmod 0700 /var/lib/montu
USER montu
ENV NODE_ENV=production MONTU_DATA_DIR=/var/lib/montu MONTU_HOST=0.0.0.0
VOLUME /var/lib/montu
EXPOSE 8470
# tini forwards SIGTERM, so a worker hands its running jobs back before the container stops.
ENTRYPOINT ["tini", "--", "montu"]
CMD ["serve"]
