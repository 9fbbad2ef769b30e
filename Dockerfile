# spapi-notify: the SP-API notification consumer.
#
#   docker build -t spapi-notify .
#   docker run --rm --env-file spapi-notify.env -p 9464:9464 spapi-notify          # the daemon (CMD run)
#   docker run --rm --env-file spapi-notify.env spapi-notify db upgrade            # any other command
#
# Two stages on the same base image: `build` installs the locked dependencies (uv.lock, no dev group, no extras)
# and the project itself into /opt/venv as a regular (non-editable) install; the runtime stage copies only that
# virtualenv, so neither uv, the sources nor any build tool ends up in the image. Pin PYTHON_IMAGE to a digest
# (python:3.11-slim-bookworm@sha256:...) for reproducible builds.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build

ARG UV_VERSION=0.13.9
# UV_PROJECT_ENVIRONMENT: the virtualenv uv sync fills. UV_PYTHON_DOWNLOADS=never: use the image's Python, whose
# path the runtime stage shares. UV_COMPILE_BYTECODE: the runtime filesystem may be read-only, so compile now.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

RUN pip install --no-cache-dir "uv==${UV_VERSION}"

WORKDIR /src

# Dependencies first, from the lock alone: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --no-editable

# Then the project (the wheel's packages, and the README its metadata reads).
COPY README.md ./
COPY spapi ./spapi
COPY store ./store
COPY consumer ./consumer
COPY handlers ./handlers
COPY subscriptions ./subscriptions
RUN uv sync --frozen --no-dev --no-editable


FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="spapi-notify" \
      org.opencontainers.image.description="Consumes Amazon SP-API notifications from SQS into PostgreSQL, exactly once." \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed, unprivileged uid/gid (Kubernetes' runAsUser and file ownership rely on it), and a working directory it
# owns: the embedded SQLite default and ./spapi-notify.toml are relative to it. Production mounts volumes here.
RUN groupadd --system --gid 10001 spapi-notify \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/spapi-notify --no-create-home \
       --shell /usr/sbin/nologin spapi-notify \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/spapi-notify /var/lib/spapi-notify/reports

COPY --from=build /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SPAPI_NOTIFY_METRICS_PORT=9464

WORKDIR /var/lib/spapi-notify
USER 10001:10001

# /metrics (Prometheus), /healthz (liveness), /readyz (readiness).
EXPOSE 9464

# `spapi-notify health` asks the local daemon's /healthz (its own HTTP timeout is 5 s) and exits non-zero when it
# is unhealthy; the check's timeout leaves room for the interpreter's start on top.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["spapi-notify", "health"]

# SIGTERM: stop receiving, finish in-flight work within SPAPI_NOTIFY_SHUTDOWN_GRACE (30 s), exit 0. Exec form, so
# the signal reaches spapi-notify itself (PID 1), not a shell; give `docker stop -t` more than the grace.
STOPSIGNAL SIGTERM
ENTRYPOINT ["spapi-notify"]
CMD ["run"]
