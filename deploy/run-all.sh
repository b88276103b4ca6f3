#!/usr/bin/env bash
# `make run`: the authorization server in the foreground, and beside it the sample order service
# (:8001) and payment service (:8002) trusting its demo realm. The services stop with it.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${BIN:-.venv/bin}"
AUTHSERVER_URL="${AUTHSERVER_URL:-http://127.0.0.1:8000}"
ORDERS_BIND="${ORDERS_BIND:-127.0.0.1:8001}"
PAYMENTS_BIND="${PAYMENTS_BIND:-127.0.0.1:8002}"
RS_WORKERS="${RS_WORKERS:-2}"

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
  RS_BIND="$2" RS_AUDIENCE="$3" "$BIN/gunicorn" -c deploy/gunicorn.conf.py --bind "$2" \
    --workers "$RS_WORKERS" "resource_server.$1.wsgi" &
  pids+=("$!")
}

start_service payments "$PAYMENTS_BIND" payments
start_service orders "$ORDERS_BIND" orders

cat <<BANNER
  Sample resource servers (README.md, "The sample resource servers"):
    orders    http://$ORDERS_BIND/api/orders      audience orders
    payments  http://$PAYMENTS_BIND/api/payments  audience payments

BANNER

# In the background too, so that a TERM or INT to this script stops all three at once.
"$BIN/gunicorn" -c deploy/gunicorn.conf.py authserver.wsgi &
authserver=$!
pids+=("$authserver")
wait "$authserver"
