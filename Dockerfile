# Civicflow: one image for every process (CLI, worker, and the web app to come).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY workflow ./workflow
COPY web ./web
COPY integrations ./integrations
COPY civicflow ./civicflow
COPY definitions ./definitions
COPY demo ./demo
RUN pip install --no-cache-dir .
ENV CIVICFLOW_DEFINITIONS_DIR=/app/definitions \
    CIVICFLOW_DIRECTORY_FILE=/app/demo/directory.yaml
ENTRYPOINT ["civicflow"]
