# One image for every Signum Python service. The command picks the service:
#
#   docker build -t signum:0.1.0 .
#   docker run signum:0.1.0                                  # the gateway (default)
#   docker run signum:0.1.0 python -m signum.routing         # any other service
#
# Needs BuildKit (Docker 23+ by default) for the cache mount. Production builds should pin the base
# image by digest in the city's registry.

FROM python:3.11-slim AS build

# uv is pinned to the version that wrote uv.lock; --frozen installs exactly what the lock says.
RUN pip install --no-cache-dir uv==0.13.9

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

WORKDIR /src
COPY . .
# --no-editable installs the workspace members into the venv itself, so the runtime stage needs
# only /app/.venv and none of the sources.
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --all-packages --no-dev --no-editable


FROM python:3.11-slim AS runtime

LABEL org.opencontainers.image.title="signum" \
      org.opencontainers.image.description="Signum: oficios digitales para gobiernos municipales"

# A fixed numeric uid so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
RUN groupadd --system --gid 10001 signum \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin signum

COPY --from=build /app/.venv /app/.venv

# The root filesystem is read-only in production: no .pyc writes, logs go to stdout.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /app
USER 10001:10001

# gateway, drafting, routing, signing, storage, metrics
EXPOSE 8000 8101 8102 8103 8104 8105

CMD ["python", "-m", "signum.gateway"]
