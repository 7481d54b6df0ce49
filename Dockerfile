# One image for every agentjobs role: compose.yaml picks the command (api, worker, flower, ui).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The packages the project ships (pyproject.toml lists them); tests, docs and benchmarks stay out.
COPY pyproject.toml README.md ./
COPY agentjobs ./agentjobs
COPY backend ./backend
COPY worker ./worker
COPY frontend_mesop ./frontend_mesop
# With the traces extra, setting OTEL_EXPORTER_OTLP_ENDPOINT is all it takes to export traces.
RUN pip install .[traces]

# Your own workflows: build FROM this image, COPY your package and set AGENTJOBS_WORKFLOWS.

RUN useradd --create-home --uid 10001 agentjobs
USER agentjobs

EXPOSE 8008 8888 5555
CMD ["agentjobs", "api", "--host", "0.0.0.0", "--port", "8008"]
