#!/usr/bin/env sh
# Prints fresh secrets for docker-compose.yml in .env form. Keep the result out of version control:
#   deploy/compose/make-env.sh > .env && chmod 600 .env && docker compose up --build
set -eu
secret() { openssl rand -hex 32; }
cat <<ENV
CREDENTIALS_ENCRYPTION_KEYS=k1:$(openssl rand -base64 32)
REGISTRY_API_KEYS=admin:administrator:$(secret)
INTERNAL_TOKEN_SINK_FACEBOOK=$(secret)
INTERNAL_TOKEN_SINK_MICROSOFT_ADS=$(secret)
KAFKA_ADMIN_PASSWORD=$(secret)
KAFKA_PASSWORD_CONNECTION_REGISTRY=$(secret)
KAFKA_PASSWORD_SEGMENT_STREAMER=$(secret)
KAFKA_PASSWORD_IDENTIFIER_HASHER=$(secret)
KAFKA_PASSWORD_SINK_FACEBOOK=$(secret)
KAFKA_PASSWORD_SINK_MICROSOFT_ADS=$(secret)
MONGO_INITDB_ROOT_USERNAME=audience-sync
MONGO_INITDB_ROOT_PASSWORD=$(secret)
GRAFANA_ADMIN_PASSWORD=$(secret)
ENV
