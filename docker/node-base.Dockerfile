# A Node.js 20 base made from Debian packages, for machines that cannot pull
# node:20-bookworm-slim from a registry (.ci/docker-test.sh builds it):
#   docker build -f docker/node-base.Dockerfile --build-arg DEBIAN_IMAGE=debian:trixie -t semsearch-node:20 docker
# tini is the init process the semsearch image runs as PID 1.
ARG DEBIAN_IMAGE=debian:trixie-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
