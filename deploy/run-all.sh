#!/usr/bin/env bash
# `make run`: the authorization server in the foreground, and beside it the sample order service
# (:8001) and payment service (:8002) trusting its demo realm. The services stop with it.
#
# All three are served by waitress, not by gunicorn's sync workers: waitress reads each request
# whole (headers and body, in one event loop shared by every connection) before one of its worker
# threads sees it, so clients that trickle their bytes cost a socket each, not a worker. gunicorn
# is for production, behind a buffering proxy (deploy/nginx/authserver.conf, docs/deployment.md).
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${BIN:-.venv/bin}"
AUTHSERVER_BIND="${AUTHSERVER_BIND:-127.0.0.1:8000}"
AUTHSERVER_URL="${AUTHSERVER_URL:-http://127.0.0.1:8000}"
ORDERS_BIND="${ORDERS_BIND:-127.0.0.1:8001}"
PAYMENTS_BIND="${PAYMENTS_BIND:-127.0.0.1:8002}"

# serve BIND APP: waitress on BIND. A connection idle for 30 s is closed; 500 may be open at once
# (each a socket and a buffer); a header block is at most 64 KiB and a body at most 21 MiB (the
# console's realm-file upload), the limits the nginx configuration sets.
serve() {
  exec "$BIN/waitress-serve" --listen="$1" --threads=8 --connection-limit=500 --channel-timeout=30 \
    --asyncore-use-poll --max-request-header-size=65536 --max-request-body-size=22020096 "$2"
}

# What both services share; each may be overridden from the environment. The client secret is
# the demo realm's (deploy/demo-realm.json), for local use only.
export RS_ISSUER="${RS_ISSUER:-$AUTHSERVER_URL/realms/demo}"
export RS_CLIENT_ID="${RS_CLIENT_ID:-orders-service}"
export RS_CLIENT_SECRET="${RS_CLIENT_SECRET:-orders-service-secret}"
export PAYMENTS_URL="${PAYMENTS_URL:-http://$PAYMENTS_BIND}"

pids=()
stop_services() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap stop_services EXIT
trap 'exit 130' INT TERM

start_service() {  # NAME BIND AUDIENCE
  DJANGO_SETTINGS_MODULE="resource_server.$1.settings" "$BIN/python" -m django migrate --no-input -v 0
  RS_AUDIENCE="$3" serve "$2" "resource_server.$1.wsgi:application" &
  pids+=("$!")
}

start_service payments "$PAYMENTS_BIND" payments
start_service orders "$ORDERS_BIND" orders

cat <<BANNER
  Sample resource servers (README.md, "The sample resource servers"):
    orders    http://$ORDERS_BIND/api/orders      audience orders
    payments  http://$PAYMENTS_BIND/api/payments  audience payments
    logouts   http://$ORDERS_BIND/backchannel-logout  (orders-service's backchannel.logout.url)

BANNER

# Back-channel logout: retries (the first try is made by the server itself, after the logout),
# and the logout tokens of sessions that expire without a logout (idle, or at their maximum age).
# The demo realm tells orders-service at http://127.0.0.1:8001/backchannel-logout: with another
# ORDERS_BIND, change its backchannel.logout.url too.
"$BIN/python" manage.py deliver_logouts &
pids+=("$!")
# Mail retries, likewise (the server sends each message itself once its request has committed).
"$BIN/python" manage.py deliver_mail &
pids+=("$!")

# In the background too, so that a TERM or INT to this script stops all of them at once.
serve "$AUTHSERVER_BIND" authserver.wsgi:application &
authserver=$!
pids+=("$authserver")
wait "$authserver"
