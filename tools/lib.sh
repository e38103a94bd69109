# Shared by tools/test, tools/demo and tools/bench: install packages, build,
# run a private PostgreSQL 15 cluster. Source it; it defines functions only.

CUOFENG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGBIN=/usr/lib/postgresql/15/bin

log() { printf '%s\n' "$*" >&2; }

# install_packages: apt-get installs whatever of tools/debian-packages.txt is missing.
install_packages() {
  local missing=()
  local pkg
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    # No pipe into grep -q here: under pipefail its early exit fails the check.
    local status
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == *"install ok installed"* ]] || missing+=("$pkg")
  done < "$CUOFENG_ROOT/tools/debian-packages.txt"
  if ((${#missing[@]})); then
    log "installing: ${missing[*]}"
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo=sudo
    local apt_log
    apt_log=$(mktemp /tmp/cuofeng-apt.XXXXXX)
    if ! { $sudo apt-get update -qq &&
           DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"; } \
         >"$apt_log" 2>&1; then
      cat "$apt_log" >&2
      log "installing the packages failed (see above)"
      return 1
    fi
  fi
}

# install_buf: buf (proto lint) from the npm registry, when missing.
install_buf() {
  command -v buf >/dev/null && return 0
  if ! command -v npm >/dev/null; then
    install_packages_named npm
  fi
  npm install -g @bufbuild/buf >/dev/null 2>&1 || log "could not install buf with npm"
}

# install_packages_named PKG...: apt-get installs the named packages.
install_packages_named() {
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "$@" >/dev/null
}

# build [extra cmake args]: configures (once) and builds into $CUOFENG_BUILD (default build/).
build() {
  CUOFENG_BUILD="${CUOFENG_BUILD:-$CUOFENG_ROOT/build}"
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
  # Paths below the checkout are hashed relative to it, so another clone or
  # git worktree of the same commit reuses the cache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$CUOFENG_ROOT}"
  export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-true}"  # -g would hash the build folder
  if [[ ! -f "$CUOFENG_BUILD/CMakeCache.txt" ]]; then
    cmake -S "$CUOFENG_ROOT" -B "$CUOFENG_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  fi
  cmake --build "$CUOFENG_BUILD" -j "$(nproc)" 2>&1 | grep -E "error|warning: |Error" >&2 || true
  cmake --build "$CUOFENG_BUILD" -j "$(nproc)" >/dev/null
  build_web
}

# build_web: the pages cuofeng-web serves (web/dist), with npm ci and Vite,
# when web/ changed since the last build (node_modules and dist stay out of git).
build_web() {
  local web="$CUOFENG_ROOT/web" stamp want
  command -v npm >/dev/null || install_packages_named npm
  want=$(cd "$web" && find package.json package-lock.json index.html vite.config.js src -type f \
    -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
  stamp="$web/dist/.source-sha256"
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && return 0
  log "building the web pages (npm ci, vite build)"
  if ! (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npx vite build --logLevel=warn); then
    log "building the web pages failed"
    return 1
  fi
  printf '%s\n' "$want" > "$stamp"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# as_pg CMD...: runs CMD as the postgres user when we are root (PostgreSQL refuses root).
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR [extra server options]: starts (creating if needed) a cluster in DIR on a free
# loopback port; sets PGPORT_CUOFENG and CUOFENG_ADMIN_DSN (database postgres).
pg_start() {
  local dir; dir=$(realpath -m "$1"); shift
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  # A cluster left running by an interrupted run is ours: restart it cleanly.
  if as_pg "$PGBIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
  PGPORT_CUOFENG=$(free_port)
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $PGPORT_CUOFENG -k $dir -c listen_addresses=127.0.0.1 $*" start >/dev/null
  CUOFENG_ADMIN_DSN="host=127.0.0.1 port=$PGPORT_CUOFENG user=postgres dbname=postgres"
  export PGPORT_CUOFENG CUOFENG_ADMIN_DSN
}

pg_stop() {
  local dir="$1"
  [[ -f "$dir/data/postmaster.pid" ]] && as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  return 0
}

# pg_createdb NAME: creates database NAME if missing; prints its DSN.
pg_createdb() {
  local name="$1"
  psql "$CUOFENG_ADMIN_DSN" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
    psql "$CUOFENG_ADMIN_DSN" -qc "CREATE DATABASE $name" >/dev/null
  echo "host=127.0.0.1 port=$PGPORT_CUOFENG user=postgres dbname=$name"
}

# wait_ready ADDR: waits until a server answers at ADDR (an unauthenticated
# call is refused with UNAUTHENTICATED once it is up).
wait_ready() {
  local addr="$1"
  for _ in $(seq 1 200); do
    local answer
    answer=$(CUOFENG_KEY= "$CUOFENG_BUILD/bin/cuofeng" --server="$addr" admin whoami 2>&1 || true)
    [[ "$answer" == *UNAUTHENTICATED* ]] && return 0
    sleep 0.1
  done
  log "no server answered at $addr"
  return 1
}
