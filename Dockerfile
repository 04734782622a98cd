FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    LYCEUM_DATA_DIR=/data LYCEUM_HOST=0.0.0.0 LYCEUM_PORT=8000

RUN useradd --create-home --uid 10001 lyceum && mkdir /data && chown lyceum /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY federation ./federation
COPY web ./web
COPY migrations ./migrations
RUN pip install --no-cache-dir .

USER lyceum
VOLUME ["/data"]
EXPOSE 8000
CMD ["sh", "-c", "lyceum migrate && exec lyceum serve"]
