# Image for the API and worker processes (docker-compose.yml runs both from it).
# Node.js 24 is the active LTS line; Node 20 reached its end of life in April 2026.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY cli ./cli
COPY devkit ./devkit
COPY workflows ./workflows
COPY activities ./activities
COPY migrations ./migrations
RUN npm run build
# Bundled once here rather than by webpack on every worker start: the image then runs exactly the
# workflow code it was built and tested with, and workers start in seconds.
RUN node dist/cli/bundle-workflows.js dist/workflow-bundle.js

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: the compiler, linters and test tools stay in the build stage.
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
ENV WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
USER node
EXPOSE 3000
CMD ["node", "dist/cli/api.js"]
