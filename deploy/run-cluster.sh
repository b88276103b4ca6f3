#!/usr/bin/env bash
# `make cluster`: the production topology on one machine (docs/gateway.md). The API gateway
# (nginx, TLS) in front of two authorization-server nodes (gunicorn), the order and payment
# services (gunicorn, mutual TLS from the gateway) and the gateway's token check, all against one
# PostgreSQL database and one Redis. Everything stops with this script (TERM or INT).
#
#   DATABASE_URL=postgres://... REDIS_URL=redis://... deploy/run-cluster.sh
#
# The gateway is the only way in: AUTHSERVER_URL is its address, and every other process listens
# on loopback. The nodes share the database, Redis and the two secrets (generated once under
# CLUSTER_DIR/secrets): a browser session, a token, a revocation or a new signing key made on one
# node holds on the other. Each process's pid, which is also its process group, is written to
# CLUSTER_DIR/run/NAME.pid (node1, node2, orders, payments, tokencheck, gateway); a process that
# dies is started again a second later.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${BIN:-.venv/bin}"
CLUSTER_DIR="$(mkdir -p "${CLUSTER_DIR:-var/cluster}" && cd "${CLUSTER_DIR:-var/cluster}" && pwd)"
GATEWAY_LISTEN="${GATEWAY_LISTEN:-127.0.0.1:8443}"
NODE1_BIND="${NODE1_BIND:-127.0.0.1:8010}"
NODE2_BIND="${NODE2_BIND:-127.0.0.1:8011}"
ORDERS_BIND="${ORDERS_BIND:-127.0.0.1:8001}"
PAYMENTS_BIND="${PAYMENTS_BIND:-127.0.0.1:8002}"
TOKENCHECK_BIND="${TOKENCHECK_BIND:-127.0.0.1:8003}"
CLUSTER_REALM_FILE="${CLUSTER_REALM_FILE:-deploy/demo-realm.json}"
CLUSTER_REALM="${CLUSTER_REALM:-demo}"

fail() { echo "deploy/run-cluster.sh: $*" >&2; exit 1; }

[[ "${DATABASE_URL:-}" == postgres* ]] || fail "DATABASE_URL must name a PostgreSQL database"
[ -n "${REDIS_URL:-}" ] || fail "REDIS_URL is required: the nodes share sessions, limits and caches"

# Debian's nginx, installed here when missing (as the benchmark installs wrk).
NGINX="$(command -v nginx || true)"
[ -n "$NGINX" ] || [ ! -x /usr/sbin/nginx ] || NGINX=/usr/sbin/nginx
if [ -z "$NGINX" ]; then
  echo "nginx is missing; installing Debian's package" >&2
  apt-get install -y -q nginx >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q nginx >/dev/null; } || true
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  [ -x "$NGINX" ] || fail "nginx could not be installed (apt-get install nginx)"
fi

certs="$CLUSTER_DIR/certs"
secrets="$CLUSTER_DIR/secrets"
run="$CLUSTER_DIR/run"
logs="$CLUSTER_DIR/logs"
mkdir -p "$secrets" "$run" "$logs"
deploy/make-certs.sh "$certs" >/dev/null
for name in secret_key key_encryption_key; do
  [ -s "$secrets/$name" ] || (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))' > "$secrets/$name")
done

# The database is made if it is not there yet (a fresh clone: `make cluster`).
"$BIN/python" - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

url = urlsplit(sys.argv[1])
name = url.path.lstrip("/")
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as admin:
    if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created the database {name}")
PY

# What every node reads: the public URL is the gateway's; the gateway is the trusted proxy.
export AUTHSERVER_URL="https://$GATEWAY_LISTEN"
export DJANGO_SECRET_KEY_FILE="$secrets/secret_key"
export AUTHSERVER_KEY_ENCRYPTION_KEY_FILE="$secrets/key_encryption_key"
export AUTHSERVER_VAR_DIR="$CLUSTER_DIR/var"
export AUTHSERVER_FORWARDED_ALLOW_IPS="${AUTHSERVER_FORWARDED_ALLOW_IPS:-127.0.0.1}"
export AUTHSERVER_WORKERS="${AUTHSERVER_WORKERS:-2}"
export DJANGO_DEBUG=0
# GATEWAY_CLIENT_CERTIFICATES=optional: the gateway asks clients for a TLS certificate and
# forwards it (Ssl-Client-Cert); the nodes and the services believe it from the gateway only.
GATEWAY_CLIENT_CERTIFICATES="${GATEWAY_CLIENT_CERTIFICATES:-off}"
if [ "$GATEWAY_CLIENT_CERTIFICATES" = optional ]; then
  export AUTHSERVER_MTLS_CERT_HEADER=Ssl-Client-Cert
  export RS_MTLS_CERT_HEADER=Ssl-Client-Cert RS_TRUSTED_PROXIES=127.0.0.1
fi
# The services' (and the token check's) outbound calls to the issuer go through the gateway,
# whose certificate the local CA signed.
export SSL_CERT_FILE="$certs/ca.crt"

"$BIN/python" manage.py migrate --no-input -v 0
"$BIN/python" manage.py collectstatic --no-input -v 0
"$BIN/python" manage.py import_realm "$CLUSTER_REALM_FILE" --skip-existing >/dev/null

# The services keep their tables in the same database unless told otherwise.
export RS_DATABASE_URL="${RS_DATABASE_URL:-$DATABASE_URL}"
export RS_ISSUER="${RS_ISSUER:-$AUTHSERVER_URL/realms/$CLUSTER_REALM}"
export RS_CLIENT_ID="${RS_CLIENT_ID:-orders-service}"
export RS_CLIENT_SECRET="${RS_CLIENT_SECRET:-orders-service-secret}"
# Clients call the services through the gateway: the URL their DPoP proofs name.
export RS_PUBLIC_URL="${RS_PUBLIC_URL:-https://$GATEWAY_LISTEN}"
for service in orders payments; do
  DJANGO_SETTINGS_MODULE="resource_server.$service.settings" "$BIN/python" -m django migrate --no-input -v 0
done

GATEWAY_DIR="$CLUSTER_DIR/gateway" \
GATEWAY_LISTEN="$GATEWAY_LISTEN" \
GATEWAY_AUTHSERVER="$NODE1_BIND,$NODE2_BIND" \
GATEWAY_ORDERS="$ORDERS_BIND" \
GATEWAY_PAYMENTS="$PAYMENTS_BIND" \
GATEWAY_TOKENCHECK="$TOKENCHECK_BIND" \
GATEWAY_TLS_CERT="$certs/gateway.crt" \
GATEWAY_TLS_KEY="$certs/gateway.key" \
GATEWAY_UPSTREAM_CA="$certs/ca.crt" \
GATEWAY_CLIENT_CERTIFICATES="$GATEWAY_CLIENT_CERTIFICATES" \
GATEWAY_USER="${GATEWAY_USER:-$([ "$(id -u)" = 0 ] && echo root || true)}" \
GATEWAY_ERROR_LOG="${GATEWAY_ERROR_LOG:-$logs/gateway-error.log}" \
GATEWAY_ACCESS_LOG="${GATEWAY_ACCESS_LOG:-$logs/gateway-access.log}" \
  "$BIN/python" deploy/gateway/render.py >/dev/null

names=()
supervisors=()
stop_all() {
  trap - EXIT INT TERM
  touch "$run/stopping"
  for supervisor in "${supervisors[@]}"; do
    kill -TERM "$supervisor" 2>/dev/null || true
  done
  for name in "${names[@]}"; do
    kill -TERM -- "-$(cat "$run/$name.pid" 2>/dev/null)" 2>/dev/null || true
  done
  for _ in $(seq 1 100); do
    alive=0
    for name in "${names[@]}"; do
      kill -0 -- "-$(cat "$run/$name.pid" 2>/dev/null)" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for name in "${names[@]}"; do
    kill -KILL -- "-$(cat "$run/$name.pid" 2>/dev/null)" 2>/dev/null || true
  done
}
trap stop_all EXIT
trap 'exit 130' INT TERM
rm -f "$run/stopping"

# start NAME COMMAND...: in a process group of its own (so that a whole node can be stopped, or
# killed, at once), its output in logs/NAME.log; started again a second after it dies, as an
# orchestrator would restart a lost node.
supervise() {
  local name="$1"
  shift
  while :; do
    setsid "$@" >>"$logs/$name.log" 2>&1 &
    echo "$!" >"$run/$name.pid"
    wait "$!" || true
    [ -e "$run/stopping" ] && return
    echo "run-cluster: $name exited; starting it again" >>"$logs/$name.log"
    sleep 1
  done
}
start() {
  rm -f "$run/$1.pid"
  supervise "$@" &
  supervisors+=("$!")
  names+=("$1")
  while [ ! -s "$run/$1.pid" ]; do sleep 0.01; done
}

gunicorn=("$BIN/gunicorn" -c deploy/gunicorn.conf.py)
AUTHSERVER_BIND="$NODE1_BIND" start node1 "${gunicorn[@]}" authserver.wsgi
AUTHSERVER_BIND="$NODE2_BIND" start node2 "${gunicorn[@]}" authserver.wsgi

# start_service NAME BIND: gunicorn over TLS, a client certificate from the local CA required
# (the gateway's; the payment service also takes the order service's own).
start_service() {
  local name="$1" bind="$2"
  RS_BIND="$bind" AUTHSERVER_WORKERS="${RS_WORKERS:-2}" \
  AUTHSERVER_TLS_CERT="$certs/$name.crt" AUTHSERVER_TLS_KEY="$certs/$name.key" \
  AUTHSERVER_TLS_CA="$certs/ca.crt" AUTHSERVER_TLS_REQUIRE_CLIENT_CERT=1 \
    start "$name" "${gunicorn[@]}" "resource_server.$name.wsgi"
}
RS_AUDIENCE=payments start_service payments "$PAYMENTS_BIND"
RS_AUDIENCE=orders PAYMENTS_URL="https://$PAYMENTS_BIND" RS_PAYMENTS_CA="$certs/ca.crt" \
  RS_TLS_CLIENT_CERT="$certs/orders-service.crt" RS_TLS_CLIENT_KEY="$certs/orders-service.key" \
  start_service orders "$ORDERS_BIND"

RS_BIND="$TOKENCHECK_BIND" AUTHSERVER_WORKERS="${TOKENCHECK_WORKERS:-2}" AUTHSERVER_THREADS=4 \
GATEWAY_ISSUER="${GATEWAY_ISSUER:-$RS_ISSUER}" \
GATEWAY_CLIENT_ID="${GATEWAY_CLIENT_ID:-$RS_CLIENT_ID}" \
GATEWAY_CLIENT_SECRET="${GATEWAY_CLIENT_SECRET:-$RS_CLIENT_SECRET}" \
  start tokencheck "${gunicorn[@]}" resource_server.tokencheck.wsgi

start gateway "$NGINX" -p "$CLUSTER_DIR/gateway" -c "$CLUSTER_DIR/gateway/nginx.conf" \
  -e "$logs/gateway-error.log" -g "daemon off;"

# Ready when the gateway serves the realm's discovery document from a node.
for _ in $(seq 1 300); do
  for name in "${names[@]}"; do
    ! grep -q "^run-cluster: $name exited" "$logs/$name.log" || fail "$name exited; see $logs/$name.log"
  done
  if "$BIN/python" - "$AUTHSERVER_URL/realms/$CLUSTER_REALM/.well-known/openid-configuration" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read()
PY
  then
    cat <<BANNER
cluster ready
  gateway     $AUTHSERVER_URL  (realm $CLUSTER_REALM; the only way in)
  nodes       http://$NODE1_BIND  http://$NODE2_BIND
  services    https://$ORDERS_BIND (orders)  https://$PAYMENTS_BIND (payments), mutual TLS
  token check http://$TOKENCHECK_BIND
  logs        $logs
BANNER
    wait
    exit 0
  fi
  sleep 0.2
done
fail "the gateway did not answer within 60 s; see $logs"
