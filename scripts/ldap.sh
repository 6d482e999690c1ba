#!/usr/bin/env bash
# A private OpenLDAP server (Debian slapd) for the LDAP user-store tests, run as
# this project's own process on loopback (never the system service).
#
#   scripts/ldap.sh start|stop|status|check
#
# Settings (environment):
#   IDENTRA_LDAP_DIR    where config, data, certificate and pid live (default ./var/ldap)
#   IDENTRA_LDAP_PORT   plain LDAP port (StartTLS available) (default 38900)
#   IDENTRA_LDAPS_PORT  LDAPS port (default 63600)
# `start` is idempotent and prints, one KEY=VALUE a line on stdout, what clients need:
# LDAP_URL, LDAPS_URL, LDAP_BASE_DN, LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD, LDAP_CA_FILE.
# The directory is empty apart from dc=identra,dc=test, ou=people and ou=groups.
# `check` only tells (exit status) whether slapd and its tools are installed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

DIR=$(realpath -m "${IDENTRA_LDAP_DIR:-./var/ldap}")
PORT=${IDENTRA_LDAP_PORT:-38900}
TLS_PORT=${IDENTRA_LDAPS_PORT:-63600}
TIMEOUT=${IDENTRA_SERVICES_TIMEOUT:-30}
BASE_DN="dc=identra,dc=test"
ADMIN_DN="cn=admin,$BASE_DN"
ADMIN_PASSWORD="identra-ldap-admin"

log() { echo "ldap: $*" >&2; }

SLAPD=$(command -v slapd || echo /usr/sbin/slapd)
SLAPADD=$(command -v slapadd || echo /usr/sbin/slapadd)

check() {
  [[ -x $SLAPD && -x $SLAPADD ]] || { log "slapd not found (Debian packages: slapd ldap-utils)"; return 1; }
  [[ -f /etc/ldap/schema/inetorgperson.schema ]] || { log "OpenLDAP schema files not found"; return 1; }
  command -v openssl >/dev/null || { log "openssl not found"; return 1; }
}

pid() { [[ -f $DIR/slapd.pid ]] && cat "$DIR/slapd.pid"; }
running() { local p; p=$(pid) && kill -0 "$p" 2>/dev/null; }
ready() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

configure() {
  mkdir -p "$DIR/data"
  if [[ ! -f $DIR/tls/server.crt ]]; then
    mkdir -p "$DIR/tls"
    # A throwaway CA and a server certificate for 127.0.0.1/localhost.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=identra test CA" \
      -keyout "$DIR/tls/ca.key" -out "$DIR/tls/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout "$DIR/tls/server.key" -out "$DIR/tls/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$DIR/tls/san.ext"
    openssl x509 -req -in "$DIR/tls/server.csr" -CA "$DIR/tls/ca.crt" -CAkey "$DIR/tls/ca.key" \
      -CAcreateserial -days 3650 -extfile "$DIR/tls/san.ext" -out "$DIR/tls/server.crt" 2>/dev/null
    chmod 600 "$DIR/tls/server.key" "$DIR/tls/ca.key"
  fi
  cat >"$DIR/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $DIR/slapd.pid
argsfile $DIR/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile $DIR/tls/ca.crt
TLSCertificateFile $DIR/tls/server.crt
TLSCertificateKeyFile $DIR/tls/server.key
sizelimit 5000
database mdb
maxsize 1073741824
suffix "$BASE_DN"
rootdn "$ADMIN_DN"
rootpw $ADMIN_PASSWORD
directory $DIR/data
index objectClass eq
index uid,mail,cn eq,sub
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to * by * read
EOF
  if [[ ! -f $DIR/data/data.mdb ]]; then
    cat >"$DIR/base.ldif" <<EOF
dn: $BASE_DN
objectClass: dcObject
objectClass: organization
dc: identra
o: Identra test directory

dn: ou=people,$BASE_DN
objectClass: organizationalUnit
ou: people

dn: ou=groups,$BASE_DN
objectClass: organizationalUnit
ou: groups
EOF
    "$SLAPADD" -q -f "$DIR/slapd.conf" -l "$DIR/base.ldif"
  fi
}

start() {
  check
  if running; then
    log "slapd already running (pid $(pid))"
  else
    configure
    "$SLAPD" -f "$DIR/slapd.conf" -h "ldap://127.0.0.1:$PORT/ ldaps://127.0.0.1:$TLS_PORT/" ||
      { log "slapd did not start"; return 1; }
    local i
    for ((i = 0; i < TIMEOUT * 5; i++)); do
      ready && break
      # slapd forks into the background; if it died (a port in use...) stop waiting.
      if ((i > 10)) && ! running; then log "slapd exited (port in use?)"; return 1; fi
      sleep 0.2
    done
    ready || { log "slapd did not accept connections within ${TIMEOUT}s"; return 1; }
    log "slapd started on 127.0.0.1:$PORT (ldaps :$TLS_PORT), data in $DIR"
  fi
  echo "LDAP_URL=ldap://127.0.0.1:$PORT"
  echo "LDAPS_URL=ldaps://127.0.0.1:$TLS_PORT"
  echo "LDAP_BASE_DN=$BASE_DN"
  echo "LDAP_ADMIN_DN=$ADMIN_DN"
  echo "LDAP_ADMIN_PASSWORD=$ADMIN_PASSWORD"
  echo "LDAP_CA_FILE=$DIR/tls/ca.crt"
}

stop() {
  local p i
  if running; then
    p=$(pid)
    kill "$p"
    for ((i = 0; i < TIMEOUT * 5; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    ! kill -0 "$p" 2>/dev/null || { log "slapd (pid $p) did not stop"; return 1; }
    log "slapd stopped"
  else
    log "slapd not running"
  fi
}

case "${1:-}" in
  check) check ;;
  start) start ;;
  stop) stop ;;
  status)
    if running; then log "slapd running (pid $(pid))"; else log "slapd stopped"; exit 3; fi
    ;;
  *)
    echo "usage: $0 start|stop|status|check" >&2
    exit 2
    ;;
esac
