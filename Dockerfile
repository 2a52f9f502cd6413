# syntax=docker/dockerfile:1
# Stage 1: build the CSS from GOV.UK Frontend's Sass (node_modules never leaves this stage
# except the compiled GOV.UK Frontend files Django serves).
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static ./static
RUN npm run build

# Stage 2: the Python app.
FROM python:3.12-slim AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# Pango and a font for WeasyPrint's PDFs (the slim image has no fonts; the print CSS asks for Liberation Sans).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 planner
# The runtime lock first (its own layer, cached until the lock changes), then the app itself.
COPY requirements/main.txt ./requirements/main.txt
RUN pip install --require-hashes -r requirements/main.txt
COPY pyproject.toml README.md ./
COPY planner ./planner
COPY councils ./councils
RUN pip install --no-deps .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY --from=assets /app/static/build ./static/build
COPY --from=assets /app/node_modules/govuk-frontend/dist/govuk ./node_modules/govuk-frontend/dist/govuk
# collectstatic needs settings but no secrets or database.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
    && chown -R planner:planner /app
USER planner
EXPOSE 8000
# Migrate on start, then serve. Workers use the same image with a different command.
CMD ["sh", "-c", "python manage.py migrate --no-input && gunicorn planner.wsgi --bind 0.0.0.0:8000 --workers 3 --access-logfile -"]
