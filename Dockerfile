# untxt on CPU: one image for the API (`untxt serve`) and the OCR workers (`untxt worker`).
#   docker build -t untxt:0.1.0 .
# See docs/deploy.md. Dockerfile.cuda builds the same image with ONNX Runtime on CUDA.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY src ./src
# Byte-compiled at install, so a read-only root filesystem costs nothing at start-up.
RUN /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --compile .

FROM python:3.11-slim-bookworm
# Tesseract's language data only (English, Vietnamese, orientation): the tesserocr
# wheel carries libtesseract itself, and nothing calls the tesseract command.
# The PP-OCR models ship inside the rapidocr wheel, installed above.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr-eng=1:4.1.0-2 \
        tesseract-ocr-vie=1:4.1.0-2 \
        tesseract-ocr-osd=1:4.1.0-2 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 untxt \
    && useradd --system --uid 10001 --gid untxt --home-dir /var/lib/untxt --create-home \
        --shell /usr/sbin/nologin untxt
COPY --from=build /opt/venv /opt/venv
# The health check, and the one-off bootstrap (bucket, migrations, first admin).
COPY deploy/docker/healthcheck.py deploy/docker/bootstrap.py /usr/local/lib/untxt/
# UNTXT_HOST: a container is reached through its network, never its loopback.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OMP_THREAD_LIMIT=1 \
    UNTXT_DATA_DIR=/var/lib/untxt/data \
    UNTXT_TESSDATA_DIR=/usr/share/tesseract-ocr/5/tessdata \
    UNTXT_HOST=0.0.0.0 \
    UNTXT_PORT=8000
WORKDIR /var/lib/untxt
# Numeric, so that Kubernetes can check runAsNonRoot against the image.
USER 10001:10001
EXPOSE 8000 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/usr/local/lib/untxt/healthcheck.py"]
CMD ["untxt", "serve"]
