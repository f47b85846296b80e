# One image for web, worker and beat:
#   web:    uvicorn synchrony.asgi:application --host 0.0.0.0 --port 8000   (default)
#   worker: celery -A synchrony worker --loglevel INFO
#   beat:   celery -A synchrony beat --loglevel INFO --schedule /tmp/celerybeat-schedule

FROM node:20-bookworm-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_LINK_MODE=copy \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.9
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
COPY --from=frontend /build/node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
COPY --from=frontend /build/node_modules/htmx-ext-sse/dist/sse.min.js static/vendor/htmx-ext-sse.min.js
COPY --from=frontend /build/node_modules/swagger-ui-dist/swagger-ui-bundle.js \
     /build/node_modules/swagger-ui-dist/swagger-ui-standalone-preset.js \
     /build/node_modules/swagger-ui-dist/swagger-ui.css \
     /build/node_modules/swagger-ui-dist/swagger-ui.css.map \
     /build/node_modules/swagger-ui-dist/favicon-32x32.png \
     static/vendor/swagger-ui/
# collectstatic needs settings to load; the key is a throwaway used only for this step.
RUN SECRET_KEY=collectstatic-only-$(date +%s)-not-a-secret-000000000000000000000 \
    DEBUG=false python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --no-create-home synchrony \
    && mkdir -p /app/var && chown synchrony /app/var
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz?scope=web', timeout=4)"]
CMD ["uvicorn", "synchrony.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--forwarded-allow-ips", "*"]
