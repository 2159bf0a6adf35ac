# Image for the API and worker processes (docker-compose.yml runs both from it).
FROM node:20-bookworm-slim AS build
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

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Optional dependencies stay: the worker's workflow bundler needs @swc/core's native binary.
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/cli/api.js"]
