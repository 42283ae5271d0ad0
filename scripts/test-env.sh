#!/usr/bin/env bash
# Prepares what the test suite needs and exports where to find it:
#   DSMIG_PYTHON  a Python (venv .venv) with pyspark 3.5, sqlglot, pytest, python-hcl2
#   DSMIG_PG      libpq connection string of a PostgreSQL server on 127.0.0.1:55432
#   DSMIG_CHROMIUM  headless Chromium (Debian's `chromium`) for the report's browser test
# Idempotent: a second call reuses the venv and the running server.
# Use:  source scripts/test-env.sh   (scripts/test does it for you)

_dsmig_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_dsmig_pg_port="${DSMIG_PG_PORT:-55432}"
_dsmig_pgdata="${DSMIG_PGDATA:-/tmp/dsmig-pgdata}"

_dsmig_log() { echo "test-env: $*" >&2; }

_dsmig_pg_bin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$d" ] && echo "$d"
}

_dsmig_setup_pg() {
    if [ -z "$(_dsmig_pg_bin)" ]; then
        _dsmig_log "installing PostgreSQL from apt"
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        else
            sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        fi
    fi
    local bin run
    bin=$(_dsmig_pg_bin) || { _dsmig_log "no PostgreSQL binaries found"; return 1; }
    # initdb refuses to run as root: run the server as the postgres user.
    if [ "$(id -u)" = 0 ]; then run() { su postgres -s /bin/bash -c "$*"; }; else run() { bash -c "$*"; }; fi
    if [ ! -f "$_dsmig_pgdata/PG_VERSION" ]; then
        mkdir -p "$_dsmig_pgdata"
        [ "$(id -u)" = 0 ] && chown postgres:postgres "$_dsmig_pgdata"
        run "$bin/initdb -D $_dsmig_pgdata -A trust -U postgres" >/dev/null
    fi
    if ! run "$bin/pg_ctl -D $_dsmig_pgdata status" >/dev/null 2>&1; then
        run "$bin/pg_ctl -D $_dsmig_pgdata -l $_dsmig_pgdata/server.log -o '-k /tmp -p $_dsmig_pg_port -c listen_addresses=127.0.0.1 -c fsync=off' -w start" >/dev/null
    fi
    export DSMIG_PG="host=127.0.0.1 port=$_dsmig_pg_port user=postgres dbname=postgres"
}

_dsmig_setup_py() {
    local venv="$_dsmig_root/.venv"
    if [ ! -x "$venv/bin/python" ]; then
        _dsmig_log "creating $venv"
        python3 -m venv "$venv" </dev/null
    fi
    if ! "$venv/bin/python" -c "import pyspark, sqlglot, pytest, hcl2, moto" </dev/null >/dev/null 2>&1; then
        _dsmig_log "installing pyspark, sqlglot, pytest, python-hcl2, moto (about a minute)"
        "$venv/bin/pip" install -q --disable-pip-version-check -r "$_dsmig_root/scripts/requirements-test.txt" </dev/null
    fi
    export DSMIG_PYTHON="$venv/bin/python"
}

_dsmig_setup_chromium() {
    if [ ! -x /usr/bin/chromium ]; then
        _dsmig_log "installing chromium from apt (the report's browser test)"
        if [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
        else
            sudo apt-get update -qq >/dev/null && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
        fi
    fi
    [ -x /usr/bin/chromium ] || { _dsmig_log "chromium could not be installed"; return 1; }
    export DSMIG_CHROMIUM=/usr/bin/chromium
}

_dsmig_setup_pg && _dsmig_setup_py && _dsmig_setup_chromium
