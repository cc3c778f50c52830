#!/usr/bin/env bash
# Installs what a fresh machine lacks for Odin's tests: nats-server >= 2.10,
# prometheus/promtool, chromium, docker-compose, Debian's python3-websockets
# and python3-pytest for the Python client's tests (clients/python), and for
# the deploy tests (test/deploy) Debian's nginx, prometheus-alertmanager and
# openssl (systemd-analyze comes with systemd, where the machine has it). Idempotent; quiet when all is
# present. scripts/check-test-prereqs.mjs checks the same list before `npm test`.
set -euo pipefail

need_apt_update=1
apt_update_once() {
  if [ "$need_apt_update" = 1 ]; then
    apt-get update -qq >/dev/null
    need_apt_update=0
  fi
}

# Debian bookworm ships nats-server 2.9 (too old for multi-filter consumers) and
# prometheus 2.42; trixie's builds are static Go binaries that run here. We fetch
# them through apt with a private state folder so the system's sources stay untouched.
TRIXIE_DIR=/opt/odin-trixie
trixie_fetch() { # package -> extracts into $TRIXIE_DIR/root
  local pkg=$1
  mkdir -p "$TRIXIE_DIR/lists/partial" "$TRIXIE_DIR/sources" "$TRIXIE_DIR/debs" "$TRIXIE_DIR/root" "$TRIXIE_DIR/cache/archives/partial"
  cat > "$TRIXIE_DIR/sources/trixie.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  local opts=(-o Dir::State::Lists="$TRIXIE_DIR/lists" -o Dir::Etc::SourceParts="$TRIXIE_DIR/sources"
    -o Dir::Etc::SourceList=/dev/null -o Dir::Cache="$TRIXIE_DIR/cache" -o APT::Get::List-Cleanup=0)
  if [ ! -f "$TRIXIE_DIR/.updated" ]; then
    apt-get "${opts[@]}" update -qq >/dev/null
    touch "$TRIXIE_DIR/.updated"
  fi
  (cd "$TRIXIE_DIR/debs" && apt-get "${opts[@]}" download -qq "$pkg" >/dev/null 2>&1)
  dpkg -x "$(ls -t "$TRIXIE_DIR"/debs/"${pkg}"_*.deb | head -1)" "$TRIXIE_DIR/root"
}

nats_ok() {
  command -v nats-server >/dev/null 2>&1 || return 1
  local v; v=$(nats-server --version | sed -E 's/.*v([0-9]+)\.([0-9]+).*/\1 \2/')
  set -- $v
  [ "$1" -gt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -ge 10 ]; }
}
if ! nats_ok; then
  echo "installing nats-server (Debian trixie build)"
  trixie_fetch nats-server
  install -m 0755 "$(find "$TRIXIE_DIR/root/usr" -path "*bin/nats-server" -type f | head -1)" /usr/local/bin/nats-server
fi
nats-server --version

if ! command -v promtool >/dev/null 2>&1; then
  echo "installing prometheus (Debian trixie build)"
  trixie_fetch prometheus
  trixie_fetch promtool
  install -m 0755 "$(find "$TRIXIE_DIR/root/usr/bin" -type f -name prometheus | head -1)" /usr/local/bin/prometheus
  install -m 0755 "$(find "$TRIXIE_DIR/root/usr/bin" -type f -name promtool | head -1)" /usr/local/bin/promtool
fi
promtool --version | head -1

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian)"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
chromium --version

# The compose test runs `docker-compose config` (the real Compose parser); it
# needs no Docker engine, so Debian's Python build without recommends (which
# would pull docker.io and containerd) is enough.
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "installing docker-compose (Debian, without the Docker engine)"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
fi
docker-compose --version

# The Python client's tests run Debian's Python (/usr/bin/python3) with Debian's
# websockets and pytest: no pip, no virtualenv.
if ! /usr/bin/python3 -c 'import websockets, pytest' >/dev/null 2>&1; then
  echo "installing python3-websockets and python3-pytest (Debian)"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-websockets python3-pytest >/dev/null
fi
/usr/bin/python3 -c 'import websockets; print("python3-websockets", websockets.__version__)'

# The deploy tests run Debian's nginx (TLS in front of two gateways) and
# Alertmanager (alerts end to end) as plain child processes with configs in a
# temporary folder; openssl makes the test's self-signed certificate. The
# packages' services are not wanted: where policy-rc.d allows it (not in
# containers, which deny it), they are stopped and disabled after install.
deploy_pkgs=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || deploy_pkgs+=(nginx)
command -v prometheus-alertmanager >/dev/null 2>&1 || [ -x /usr/bin/prometheus-alertmanager ] || deploy_pkgs+=(prometheus-alertmanager)
command -v openssl >/dev/null 2>&1 || deploy_pkgs+=(openssl)
if [ ${#deploy_pkgs[@]} -gt 0 ]; then
  echo "installing ${deploy_pkgs[*]} (Debian)"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${deploy_pkgs[@]}" >/dev/null
  for svc in nginx prometheus-alertmanager; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
  done
fi
/usr/sbin/nginx -v 2>&1

# The log-format test gives the CLI a terminal with util-linux `script`
# (Debian's bsdutils, essential: present on any Debian, checked anyway).
if ! command -v script >/dev/null 2>&1; then
  echo "installing bsdutils (script)"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bsdutils >/dev/null
fi
script --version
/usr/bin/prometheus-alertmanager --version 2>&1 | head -1
openssl version
