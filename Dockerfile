# Debian 13: its postgresql-client (17) matches compose.yaml's PostgreSQL, for `lyceum backup`.
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LYCEUM_DATA_DIR=/data LYCEUM_HOST=0.0.0.0 LYCEUM_PORT=8000

RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 lyceum && mkdir /data && chown lyceum /data
WORKDIR /app
# The locked packages first, each checked against its hash (scripts/lock writes the lock): this
# layer is rebuilt only when the lock changes.
COPY requirements/app.txt requirements/app.txt
RUN pip install --no-cache-dir --require-hashes --requirement requirements/app.txt
COPY pyproject.toml README.md ./
COPY server ./server
COPY federation ./federation
COPY web ./web
COPY migrations ./migrations
RUN pip install --no-cache-dir --no-deps --no-build-isolation . && rm -rf build *.egg-info

USER lyceum
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --start-interval=2s \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('LYCEUM_PORT', '8000')}/healthz\", timeout=4)"]
# Alone (`docker run`), the image migrates and serves with the embedded worker; compose.yaml
# runs `lyceum migrate`, `lyceum serve` and `lyceum worker` as separate services instead.
CMD ["sh", "-c", "lyceum migrate && exec lyceum serve"]
