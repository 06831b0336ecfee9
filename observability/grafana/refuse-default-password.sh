#!/bin/sh
# Grafana's entrypoint in Compose: in production (TAQUILLA_ENVIRONMENT=production) it refuses to start
# while the admin password is empty or a development default; otherwise it runs its arguments
# (Grafana's own /run.sh).
set -eu
if [ "${TAQUILLA_ENVIRONMENT:-development}" = "production" ]; then
  case "${GF_SECURITY_ADMIN_PASSWORD:-}" in
    "" | taquilla | admin | password | changeme | change-me | secret)
      echo "GRAFANA_ADMIN_PASSWORD is a development default: set a real one in production" >&2
      exit 1
      ;;
  esac
fi
exec "$@"
