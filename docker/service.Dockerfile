# syntax=docker/dockerfile:1.7
# One image recipe for every gRPC service (identity_svc, event_svc, notification_svc, ticketing_svc),
# parametrised by build arguments. Built from the repository root, which is a uv workspace:
#   docker build -f docker/service.Dockerfile -t taquilla/ticketing-svc \
#     --build-arg SERVICE=ticketing_svc --build-arg PACKAGE=taquilla-ticketing-svc \
#     --build-arg ENV_PREFIX=TICKETING_SVC_ --build-arg GRPC_PORT=50054 --build-arg METRICS_PORT=9104 .
# (docker-compose.yml does this for you, with each service's arguments.)
#   SERVICE       the service's folder, which is also its Python package (`python -m SERVICE`)
#   PACKAGE       its uv workspace member, as named in SERVICE/pyproject.toml
#   ENV_PREFIX    the prefix its config.py reads the environment with
#   GRPC_PORT     where it serves gRPC (and grpc.health.v1, which the HEALTHCHECK asks)
#   METRICS_PORT  where it serves /metrics
# .dockerignore leaves docker/ out of the build context; the builder reads this file all the same.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------- builder
FROM ${PYTHON_IMAGE} AS builder

ARG SERVICE
ARG PACKAGE
# Fail at the first step rather than build an image of nothing.
RUN test -n "${SERVICE}" && test -n "${PACKAGE}" \
    || { echo "build arguments SERVICE and PACKAGE are required" >&2; exit 1; }

# uv comes from PyPI so the image builds wherever PyPI is reachable.
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/opt/venv

WORKDIR /src

# Third-party dependencies first, in a layer that changes only with the lock file.
# uv resolves the whole workspace, so every member's pyproject.toml must be present.
COPY pyproject.toml uv.lock ./
COPY protos/pyproject.toml protos/
COPY runtime/pyproject.toml runtime/
COPY devstack/pyproject.toml devstack/
COPY identity_svc/pyproject.toml identity_svc/
COPY event_svc/pyproject.toml event_svc/
COPY notification_svc/pyproject.toml notification_svc/
COPY ticketing_svc/pyproject.toml ticketing_svc/
COPY edge/pyproject.toml edge/
COPY psp_sim/pyproject.toml psp_sim/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package "${PACKAGE}"

# Then our own code, installed as regular (non-editable) wheels so the venv stands alone.
# --no-cache: uv keys its cache of built local packages on pyproject.toml only, so a cached
# wheel would hide source changes.
COPY protos/ protos/
COPY runtime/ runtime/
COPY ${SERVICE}/ ${SERVICE}/
RUN uv sync --frozen --no-dev --no-editable --no-cache --package "${PACKAGE}"

# ---------------------------------------------------------------- runtime
FROM ${PYTHON_IMAGE} AS runtime

ARG SERVICE
ARG ENV_PREFIX
ARG GRPC_PORT
ARG METRICS_PORT

RUN test -n "${SERVICE}" && test -n "${ENV_PREFIX}" && test -n "${GRPC_PORT}" && test -n "${METRICS_PORT}" \
    || { echo "build arguments SERVICE, ENV_PREFIX, GRPC_PORT and METRICS_PORT are required" >&2; exit 1; }

RUN groupadd --system --gid 10001 taquilla \
    && useradd --system --uid 10001 --gid taquilla --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin taquilla

COPY --from=builder /opt/venv /opt/venv

# TAQUILLA_SERVICE and TAQUILLA_SERVICE_GRPC_PORT carry the build arguments into the container,
# where CMD and HEALTHCHECK read them (exec-form commands cannot expand build arguments).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TAQUILLA_SERVICE=${SERVICE} \
    TAQUILLA_SERVICE_GRPC_PORT=${GRPC_PORT} \
    ${ENV_PREFIX}GRPC_ADDRESS=0.0.0.0:${GRPC_PORT} \
    ${ENV_PREFIX}METRICS_ADDRESS=0.0.0.0:${METRICS_PORT}

USER 10001:10001
EXPOSE ${GRPC_PORT} ${METRICS_PORT}

HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/bin/sh", "-c", "exec python -m taquilla_runtime.probe grpc \"127.0.0.1:${TAQUILLA_SERVICE_GRPC_PORT}\""]

# `exec` hands PID 1 to Python, so SIGTERM reaches the service and it drains gracefully.
CMD ["/bin/sh", "-c", "exec python -m \"${TAQUILLA_SERVICE}\" serve"]
