#!/usr/bin/env bash
# The Docker image and docker/compose.yml, built and run as a user would, on a
# machine that cannot pull from a registry: the bases are made from Debian's
# packages (debootstrap, then docker import; cached between runs as images),
# npm in the build trusts NODE_EXTRA_CA_CERTS through a build secret (in no
# layer), and compose runs the server with PostgreSQL + pgvector and the
# assets mounted read-only. Checks: /readyz, a query of each of the four kinds,
# a write with a token (and none without), the image's user and init, docker
# stop within 10 s with exit code 0, and a restart that keeps the data and
# re-seeds nothing; then the image alone on its embedded store: docker stop
# within 10 s, and a restart after docker kill (the store's lock left behind).
# Fails with a non-zero status on the first failed check; removes what it
# started (containers, network, volumes) however it ends.
#
# Kept small to stay within CI's budget: WORDS_LIMIT=40000 (the seed loads the
# class, caption and tag words beyond it) and IMAGES_LIMIT=100 (20 on the
# embedded store). The compose run stores no reference set (REFERENCE_SET=none);
# the embedded run keeps the default, so its docker stop and docker kill land
# while the reference set is being stored after readiness.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
started=$(date +%s)
step() { echo "== docker: $1 ($(( $(date +%s) - started )) s)"; }
fail() {
  echo "docker test FAILED: $*" >&2
  exit 1
}

PROJECT=semsearch-ci
PORT=4251                       # published on 127.0.0.1 only
DEBIAN_IMAGE=semsearch-debian:trixie
NODE_IMAGE=semsearch-node:20
DB_IMAGE=semsearch-postgres:17
IMAGE=semsearch:ci
ASSETS=${SEMSEARCH_ASSETS_DIR:-../shared/assets}
TOKEN=ci-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
URL=http://127.0.0.1:$PORT
EMBEDDED=semsearch-ci-embedded  # container and volume
EMBEDDED_PORT=4252
EMBEDDED_URL=http://127.0.0.1:$EMBEDDED_PORT
SEEDING='seeding words|building the HNSW index|embedding [0-9]+ Pascal|projecting [0-9]+ images|model saved|caption transfer: [0-9]+ photos'

step "docker.io, docker-compose, debootstrap, jq"
missing=()
for tool in dockerd:docker.io docker-compose:docker-compose debootstrap:debootstrap jq:jq; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Debian's client: it builds with BuildKit (secrets, cache mounts) without the buildx plugin.
DOCKER=$(command -v /usr/bin/docker || command -v docker)
docker() { "$DOCKER" "$@"; }
export DOCKER_BUILDKIT=1

workdir=$(mktemp -d)
dockerd_pid=
composing=
cleanup() {
  local status=$?
  if [ -n "$composing" ]; then
    [ "$status" -ne 0 ] && compose logs --no-color --tail=80 server db >&2 || true
    compose down --volumes --remove-orphans >/dev/null 2>&1 || true
  fi
  if docker container inspect "$EMBEDDED" >/dev/null 2>&1; then
    [ "$status" -ne 0 ] && docker logs --tail=40 "$EMBEDDED" >&2 || true
    docker rm -f "$EMBEDDED" >/dev/null 2>&1 || true
  fi
  docker volume rm "$EMBEDDED" >/dev/null 2>&1 || true
  rm -rf "$workdir"
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
  fi
  exit "$status"
}
trap cleanup EXIT

step "dockerd running"
if ! docker info >/dev/null 2>&1; then
  dockerd >"$workdir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || fail "dockerd did not start: $(tail -5 "$workdir/dockerd.log")"
fi

step "Debian trixie base (debootstrap, once)"
if ! docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  debootstrap --variant=minbase trixie "$workdir/rootfs" http://deb.debian.org/debian >"$workdir/debootstrap.log" 2>&1 \
    || fail "debootstrap: $(tail -5 "$workdir/debootstrap.log")"
  tar -C "$workdir/rootfs" -c . | docker import - "$DEBIAN_IMAGE" >/dev/null
  rm -rf "$workdir/rootfs"
fi

# build TAG DOCKER_BUILD_ARGS…: builds TAG and removes the image it replaces, so reruns do not pile up images.
build() {
  local tag=$1 previous
  shift
  previous=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  docker build -q -t "$tag" "$@" >/dev/null
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$tag")" ]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
}

step "Node.js and PostgreSQL + pgvector bases from Debian packages"
build "$NODE_IMAGE" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" -f docker/node-base.Dockerfile docker
build "$DB_IMAGE" --build-arg DEBIAN_IMAGE="$DEBIAN_IMAGE" -f docker/postgres.Dockerfile docker

step "the semsearch image"
secret=()
[ -n "${NODE_EXTRA_CA_CERTS:-}" ] && secret=(--secret "id=npm_ca,src=$NODE_EXTRA_CA_CERTS")
build "$IMAGE" "${secret[@]}" --build-arg BASE_IMAGE="$NODE_IMAGE" -f docker/Dockerfile .
[ "$(docker image inspect -f '{{.Config.User}}' "$IMAGE")" = semsearch ] || fail "the image does not run as the user semsearch"

step "compose up (PostgreSQL + pgvector, assets read-only from $ASSETS)"
[ -d "$ASSETS/pascal-sentences" ] || fail "no assets at $ASSETS (set SEMSEARCH_ASSETS_DIR)"
cat >"$workdir/compose.ci.yml" <<EOF
services:
  server:
    environment:
      WORDS_LIMIT: "40000"
      IMAGES_LIMIT: "100"
      REFERENCE_SET: "none"
EOF
compose() {
  SEMSEARCH_IMAGE=$IMAGE SEMSEARCH_DB_IMAGE=$DB_IMAGE SEMSEARCH_PORT=$PORT WRITE_TOKENS=$TOKEN \
    ASSETS_HOST_DIR=$(cd "$ASSETS" && pwd) \
    docker-compose -p "$PROJECT" -f docker/compose.yml -f docker/compose.offline.yml -f "$workdir/compose.ci.yml" "$@"
}
composing=1
compose down --volumes --remove-orphans >/dev/null 2>&1 || true
compose up -d --no-build
server=$(compose ps -q server)
[ -n "$server" ] || fail "compose started no server container"
[ "$(docker port "$server" 4000/tcp)" = "127.0.0.1:$PORT" ] || fail "port published as $(docker port "$server" 4000/tcp), not 127.0.0.1:$PORT only"

# waitReady CONTAINER URL SECONDS: until its /readyz answers 200.
waitReady() {
  local until=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$until" ]; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$2/readyz")" = 200 ] && return 0
    [ "$(docker inspect -f '{{.State.Running}}' "$1")" = true ] || fail "the server container exited"
    sleep 1
  done
  fail "/readyz not 200 within $3 s: $(curl -s --max-time 5 "$2/readyz")"
}
# stopsCleanly CONTAINER: docker stop within 10 s, the server exiting with 0 after logging the SIGTERM.
stopsCleanly() {
  local stop_started stop_ms exit_code
  stop_started=$(date +%s%N)
  docker stop "$1" >/dev/null
  stop_ms=$(( ($(date +%s%N) - stop_started) / 1000000 ))
  exit_code=$(docker inspect -f '{{.State.ExitCode}}' "$1")
  echo "docker stop took $stop_ms ms, exit code $exit_code"
  [ "$stop_ms" -lt 10000 ] || fail "docker stop took $stop_ms ms"
  [ "$exit_code" = 0 ] || fail "the server exited with $exit_code (137: killed at the end of docker stop's grace)"
  docker logs "$1" 2>&1 | grep -q 'SIGTERM: stopping' || fail "the server did not log the SIGTERM it stopped on"
}
# gql QUERY [TOKEN]: the JSON answer of /graphql.
gql() {
  curl -sS --max-time 60 -H 'content-type: application/json' ${2:+-H "authorization: Bearer $2"} \
    -d "$(jq -cn --arg query "$1" '{query: $query}')" "$URL/graphql"
}
# expect ANSWER JQ_TEST WHAT
expect() { jq -e "$2" >/dev/null <<<"$1" || fail "$3: $1"; }

step "first start: /readyz 200"
waitReady "$server" "$URL" 420
step "ready"

step "one query of each kind"
answer=$(gql '{ similarWords(word: "dog", first: 5) { word { text } } }')
expect "$answer" '.data.similarWords | length == 5' similarWords
id=$(gql '{ images(first: 1) { edges { node { id } } } }' | jq -r '.data.images.edges[0].node.id')
[ -n "$id" ] && [ "$id" != null ] || fail "no stored image"
answer=$(gql "{ similarImages(id: \"$id\", first: 3) { image { id } distance } }")
expect "$answer" '.data.similarImages | length == 3' similarImages
answer=$(gql "{ tagsForImage(id: \"$id\", first: 5) { word { text } } }")
expect "$answer" '.data.tagsForImage | length == 5' tagsForImage
answer=$(gql '{ imagesForText(text: "a dog on a sofa", first: 3) { image { id } } }')
expect "$answer" '.data.imagesForText | length == 3' imagesForText

step "a write: refused without a token, done with one"
caption="Written by the docker test $TOKEN."
write="mutation { updateImage(id: \"$id\", captions: [\"$caption\"]) { captions } }"
expect "$(gql "$write")" '.errors[0].extensions.code == "UNAUTHENTICATED"' "a write without a token"
expect "$(gql "$write" "$TOKEN")" ".data.updateImage.captions == [\"$caption\"]" "a write with a token"

step "tini is PID 1, node runs as the user semsearch"
[ "$(docker exec "$server" cat /proc/1/comm)" = tini ] || fail "PID 1 is not tini"
node_uid=$(docker exec "$server" sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = node ] && { stat -c %u $p; break; }; done')
[ "$node_uid" = 10001 ] || fail "node runs as uid '$node_uid', not 10001 (semsearch)"

step "docker stop within 10 s, exit code 0"
stopsCleanly "$server"

step "restart: data kept, nothing re-seeded"
restarted_at=$(date +%s)
docker start "$server" >/dev/null
waitReady "$server" "$URL" 120
echo "ready $(( $(date +%s) - restarted_at )) s after docker start"
answer=$(gql "{ image(id: \"$id\") { captions } }")
expect "$answer" ".data.image.captions == [\"$caption\"]" "the written caption after the restart"
if docker logs --since "$restarted_at" "$server" 2>&1 | grep -E "$SEEDING"; then
  fail "the restart seeded again (lines above)"
fi
expect "$(gql '{ similarWords(word: "cat", first: 3) { word { text } } }')" '.data.similarWords | length == 3' "similarWords after the restart"
compose down --volumes --remove-orphans >/dev/null 2>&1

step "the embedded store (docker run): docker stop, then a restart after docker kill"
docker rm -f "$EMBEDDED" >/dev/null 2>&1 || true
docker volume rm "$EMBEDDED" >/dev/null 2>&1 || true
docker run -d --name "$EMBEDDED" -p "127.0.0.1:$EMBEDDED_PORT:4000" -v "$EMBEDDED:/data" \
  -v "$(cd "$ASSETS" && pwd):/assets:ro" -e ASSETS_DIR=/assets -e ASSETS_DOWNLOAD=false \
  -e WORDS_LIMIT=40000 -e IMAGES_LIMIT=20 "$IMAGE" >/dev/null
waitReady "$EMBEDDED" "$EMBEDDED_URL" 420
step "ready"
stopsCleanly "$EMBEDDED"
docker start "$EMBEDDED" >/dev/null
waitReady "$EMBEDDED" "$EMBEDDED_URL" 120
# SIGKILL leaves the store's lock behind, naming the pid the next start's server gets again.
docker kill "$EMBEDDED" >/dev/null
docker start "$EMBEDDED" >/dev/null
waitReady "$EMBEDDED" "$EMBEDDED_URL" 120

step "passed"
