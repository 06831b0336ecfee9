#!/usr/bin/env bash
# Creates one database, role and schema per service (see docs/architecture.md):
#   identity_svc     -> database taquilla_identity,      role identity_svc,     schema identity
#   event_svc        -> database taquilla_events,        role event_svc,        schema catalog
#   notification_svc -> database taquilla_notifications, role notification_svc, schema notifications
#   ticketing_svc    -> database taquilla_ticketing,     role ticketing_svc,    schema ticketing
#
# The postgres image runs this once, when it initialises an empty data directory
# (docker-compose.yml mounts it into /docker-entrypoint-initdb.d). Each role owns only its
# database and cannot connect to the others: services never share tables.
# Passwords come from the environment; docker-compose.yml passes development defaults.
set -euo pipefail

create_service_database() {
    local database=$1 role=$2 schema=$3 password=$4
    if [[ -z "$password" ]]; then
        echo "init-databases: empty password for role ${role}" >&2
        return 1
    fi
    echo "init-databases: database ${database}, role ${role}, schema ${schema}"
    # psql substitutes :"name" (identifier) and :'name' (literal) itself, so values are quoted safely.
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname postgres \
        --set=database="$database" --set=role="$role" --set=password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"role";
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
SQL
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$database" \
        --set=database="$database" --set=role="$role" --set=schema="$schema" <<'SQL'
CREATE SCHEMA :"schema" AUTHORIZATION :"role";
CREATE EXTENSION IF NOT EXISTS btree_gist SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
ALTER ROLE :"role" IN DATABASE :"database" SET search_path TO :"schema";
SQL
}

create_service_database taquilla_identity identity_svc identity "${TAQUILLA_IDENTITY_DB_PASSWORD:-}"
create_service_database taquilla_events event_svc catalog "${TAQUILLA_EVENT_DB_PASSWORD:-}"
create_service_database taquilla_notifications notification_svc notifications "${TAQUILLA_NOTIFICATION_DB_PASSWORD:-}"
create_service_database taquilla_ticketing ticketing_svc ticketing "${TAQUILLA_TICKETING_DB_PASSWORD:-}"
