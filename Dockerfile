# One image for every role of the lab: an app variant (`benchlab serve`), a client (`benchlab load`),
# and the merge and report steps. nginx and MySQL run from their own official images (docker-compose.yml),
# and the reference variant ref-gunicorn from the stage of that name below.

# The base images, official by default; docker-compose.yml passes BENCHLAB_NODE_IMAGE and BENCHLAB_DEBIAN_IMAGE
# (scripts/offline-images builds stand-ins for a machine without Docker Hub).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts wait until the sources are in: the postinstall step patches and compiles them.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY patches ./patches
COPY tsconfig.json ./
# Every folder tsconfig.json compiles that the image runs (test/ and bench/ stay out: .dockerignore).
COPY common ./common
COPY apps ./apps
COPY client ./client
COPY lab ./lab
COPY report ./report
COPY cli ./cli
RUN npx patch-package && npm run build

# The reference variant ref-gunicorn (the original's winner): Debian's gunicorn and PyMySQL serving the WSGI
# guestbook, as the native lab runs it (`apt-get install gunicorn python3-pymysql`). Its own image, built only
# for the ref-gunicorn-app service (target ref-gunicorn), so the lab's image carries no Python.
FROM ${DEBIAN_IMAGE} AS ref-gunicorn
RUN apt-get update \
    && apt-get install -y --no-install-recommends gunicorn python3-pymysql \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app/apps/foreign/gunicorn
COPY apps/foreign/gunicorn ./
USER nobody

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# The node-fastcgi patch is part of the runtime, so it is applied here too (patch-package is a dependency).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npx patch-package \
    && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY nginx ./nginx
# Preloaded by the compose file's clients: started as root, they write as the owner of /results.
COPY docker/run-as-results-owner.cjs ./docker/
USER node
ENTRYPOINT ["node", "dist/cli/benchlab.js"]
CMD ["--help"]
