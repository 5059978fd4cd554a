# One image for every role of the lab: an app variant (`benchlab serve`), a client (`benchlab load`),
# and the merge and report steps. nginx and MySQL run from their own official images (docker-compose.yml).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts wait until the sources are in: the postinstall step patches and compiles them.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY patches ./patches
COPY tsconfig.json ./
COPY apps ./apps
COPY client ./client
COPY lab ./lab
COPY report ./report
RUN npx patch-package && npm run build

FROM node:20-bookworm-slim
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
USER node
ENTRYPOINT ["node", "dist/lab/cli.js"]
CMD ["--help"]
