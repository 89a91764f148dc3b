#!/usr/bin/env bash
# The kafka service's entrypoint. Formats the KRaft storage on first start with one SCRAM-SHA-512
# user per SCRAM_PASSWORD_<NAME> variable (SINK_FACEBOOK -> user sink-facebook), then hands over
# to the image's own start, which finds the storage formatted and keeps it. Users are made at
# format time because the SASL listener admits nobody until a user exists.
set -euo pipefail

data_dir="${KAFKA_LOG_DIRS:?set KAFKA_LOG_DIRS to the data volume}"
if [[ ! -f "$data_dir/meta.properties" ]]; then
  scram=()
  for variable in ${!SCRAM_PASSWORD_@}; do
    user="$(tr 'A-Z_' 'a-z-' <<<"${variable#SCRAM_PASSWORD_}")"
    password="${!variable}"
    # The --add-scram syntax has no quoting: keep passwords to characters it cannot misread.
    if [[ ! "$password" =~ ^[A-Za-z0-9_-]{16,}$ ]]; then
      echo "kafka: the password of Kafka user '$user' must be 16 or more letters, digits, '-' or '_' (generate one with: openssl rand -hex 32)" >&2
      exit 1
    fi
    scram+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$password]")
  done
  # The format reads only the node's roles, identity, listeners and log directory.
  format_config="$(mktemp)"
  cat >"$format_config" <<PROPERTIES
process.roles=$KAFKA_PROCESS_ROLES
node.id=$KAFKA_NODE_ID
controller.quorum.voters=$KAFKA_CONTROLLER_QUORUM_VOTERS
controller.listener.names=$KAFKA_CONTROLLER_LISTENER_NAMES
listeners=$KAFKA_LISTENERS
advertised.listeners=$KAFKA_ADVERTISED_LISTENERS
listener.security.protocol.map=$KAFKA_LISTENER_SECURITY_PROTOCOL_MAP
inter.broker.listener.name=$KAFKA_INTER_BROKER_LISTENER_NAME
log.dirs=$data_dir
PROPERTIES
  /opt/kafka/bin/kafka-storage.sh format --cluster-id="$CLUSTER_ID" -c "$format_config" "${scram[@]}"
  rm -f "$format_config"
fi
exec /etc/kafka/docker/run
