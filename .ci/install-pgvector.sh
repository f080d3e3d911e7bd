#!/usr/bin/env bash
# Installs the pgvector extension into the local PostgreSQL server, built from
# Debian trixie's source package (bookworm ships no pgvector). Idempotent: does
# nothing when the server already offers the `vector` extension.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)}"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
PSQL_URL="${PGVECTOR_CHECK_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"

if [ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]; then
  echo "pgvector: already installed for PostgreSQL ${PG_MAJOR}"
  exit 0
fi

echo "pgvector: building from Debian trixie sources for PostgreSQL ${PG_MAJOR}"
export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs 'trixie' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo 'deb-src http://deb.debian.org/debian trixie main' > /etc/apt/sources.list.d/trixie-src.list
fi
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
( cd "$work" && apt-get source -qq pgvector >/dev/null )
src="$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -1)"
make -C "$src" -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -C "$src" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
psql "$PSQL_URL" -qAtc "select 'pgvector: available ' || default_version from pg_available_extensions where name = 'vector'"
