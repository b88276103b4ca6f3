#!/usr/bin/env bash
# Certificates for mutual TLS between the services on one machine (docs/deployment.md):
#
#   deploy/make-certs.sh [DIR]        (default: var/certs)
#
#   ca.crt / ca.key                       a local certificate authority (10 years)
#   auth.crt, orders.crt, payments.crt    server certificates (+ .key) for localhost, 127.0.0.1
#                                         and ::1, and the service's own name
#   orders-service.crt / .key             the client certificate the orders service presents
#                                         (CN=orders-service, its OAuth client_id)
#   gateway.crt / .key                    the API gateway's (deploy/gateway): its server
#                                         certificate for localhost, 127.0.0.1 and ::1, and the
#                                         client certificate it presents to the services
#
# An existing CA is reused, so running the script again adds what is missing and keeps every
# certificate already issued valid. Keys are ECDSA P-256, readable by their owner only. For local
# use and tests: in production take the certificates from your own CA.
set -euo pipefail

dir="${1:-var/certs}"
days=825
umask 077
mkdir -p "$dir"
cd "$dir"

if [ ! -f ca.key ] || [ ! -f ca.crt ]; then
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -keyout ca.key -out ca.crt -days 3650 -subj "/CN=authserver local CA" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  echo "created $dir/ca.crt"
fi

# issue NAME EXTENSIONS: a key and a certificate signed by the CA (skipped if both exist).
issue() {
  local name="$1" extensions="$2"
  if [ -f "$name.key" ] && [ -f "$name.crt" ]; then
    return
  fi
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
    -keyout "$name.key" -out "$name.csr" -subj "/CN=$name" 2>/dev/null
  printf '%s\n' "$extensions" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 \
    -days "$days" -out "$name.crt" -extfile "$name.ext" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
  echo "created $dir/$name.crt"
}

for service in auth orders payments; do
  issue "$service" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:$service,IP:127.0.0.1,IP:::1"
done

issue orders-service "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

issue gateway "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,DNS:gateway,IP:127.0.0.1,IP:::1"

# Certificates are public; only the keys stay private.
chmod 644 ./*.crt
rm -f ca.srl
