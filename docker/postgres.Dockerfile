# PostgreSQL 17 with pgvector from Debian's packages (postgresql-17-pgvector),
# a stand-in for pgvector/pgvector:pg17 where registry images cannot be pulled.
# It takes the same POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB and data
# folder as that image, so docker/compose.yml runs either:
#   docker build -f docker/postgres.Dockerfile -t semsearch-postgres:17 docker
ARG DEBIAN_IMAGE=debian:trixie-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-17 postgresql-17-pgvector \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres /var/lib/postgresql/data /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/17/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]
