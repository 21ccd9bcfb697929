# The credential service: one image for the API. Data and keys live on volumes.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    CS_ENVIRONMENT=production \
    CS_DATABASE_URL=sqlite:////data/credential-service.sqlite3 \
    CS_KEYSTORE_DIR=/keys

# The CJK font the printable certificate embeds: TrueType outlines (fonts-noto-cjk is CFF, which
# reportlab cannot embed); pages use the reader's own fonts.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app credential

WORKDIR /app
COPY pyproject.toml README.md ./
COPY credential_service ./credential_service
COPY schemas ./schemas
# Editable install: the package finds the published schemas/ beside it, as in development.
RUN pip install -e . && mkdir -p /data /keys && chown credential /data /keys

USER credential
VOLUME ["/data", "/keys"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
# CS_KEYSTORE_PASSPHRASE (or _FILE) and CS_DATA_KEY (or _FILE) must be provided at run time.
CMD ["sh", "-c", "credential-service init && exec credential-service serve --host 0.0.0.0 --port 8000"]
