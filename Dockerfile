# One image for both long-running processes: `banjian api` (default) and `banjian worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only what the package build needs, so the local .venv and .banjian never enter the image.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY banjian ./banjian
COPY workflows ./workflows
COPY activities ./activities
COPY api ./api
COPY projections ./projections
COPY workdays ./workdays
COPY documents ./documents
COPY ops ./ops
COPY centers ./centers
COPY privacy ./privacy
COPY applicant ./applicant
# The project alone: not the `embedded` extra (the server wheels only `banjian run` uses),
# byte-compiled at install so no process compiles at start.
RUN pip install --compile . && cd / && rm -rf /src

RUN useradd --create-home --uid 10001 banjian
USER banjian
WORKDIR /home/banjian

EXPOSE 8000
CMD ["banjian", "api"]
