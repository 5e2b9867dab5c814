# Civicflow: one image for every process (CLI, worker, and the web app to come).
# `docker run IMAGE` runs `civicflow demo` on embedded defaults: the example
# definitions and the demo directory ship inside the installed package
# (civicflow/examples), and the SQLite file lands in /data/var/ (mount a volume on
# /data to keep it). docker-compose.yml runs the same image as `db upgrade` / `worker`.
#
# Not built on the development VM (it has no Docker engine). What the image installs
# is checked there: tests/test_install__wheel.py builds the wheel from exactly the
# files copied below, installs it in a fresh virtual environment and runs the demo.
FROM python:3.11-slim
WORKDIR /src
COPY pyproject.toml README.md ./
COPY workflow ./workflow
COPY web ./web
COPY integrations ./integrations
# civicflow/examples/{definitions,demo} are links to the two folders copied after it
COPY civicflow ./civicflow
COPY definitions ./definitions
COPY demo ./demo
RUN pip install --no-cache-dir . && rm -rf /src
WORKDIR /data
ENTRYPOINT ["civicflow"]
CMD ["demo"]
