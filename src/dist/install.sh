#!/bin/sh
# Installs otela from this release directory (otela.jar, otela, otela.service, install.sh):
#   sudo ./install.sh              the jar in /usr/local/lib/otela, the launcher in /usr/local/bin, the
#                                  systemd unit otela.service and /etc/otela/otela.conf (kept if present)
#   ./install.sh --prefix ~/.local the jar and launcher only, for one user (no root, no systemd unit)
# Options: --prefix DIR (default /usr/local as root, else ~/.local), --user NAME (the unit's User=;
# default: the user who ran sudo, else root), --no-systemd, --unit-dir DIR (default /etc/systemd/system)
# and --conf-dir DIR (default /etc/otela). Needs a Java 17+ runtime to run otela.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=""
user=${SUDO_USER:-root}
systemd=yes
unit_dir=/etc/systemd/system
conf_dir=/etc/otela
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --user) user=${2:?--user needs a name}; shift 2 ;;
    --user=*) user=${1#--user=}; shift ;;
    --no-systemd) systemd=no; shift ;;
    --unit-dir) unit_dir=${2:?--unit-dir needs a directory}; shift 2 ;;
    --conf-dir) conf_dir=${2:?--conf-dir needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see: install.sh --help)" >&2; exit 2 ;;
  esac
done
root=no
[ "$(id -u)" -eq 0 ] && root=yes
if [ -z "$prefix" ]; then
  if [ "$root" = yes ]; then prefix=/usr/local; else prefix=$HOME/.local; fi
fi
for f in otela.jar otela otela.service; do
  if [ ! -f "$here/$f" ]; then
    echo "install.sh: $here/$f is missing: run install.sh from a release directory (target/release after mvn package)" >&2
    exit 1
  fi
done
mkdir -p "$prefix/lib/otela" "$prefix/bin"
# A new jar replaces the old one in one rename, so a running node's next restart gets a whole file.
cp "$here/otela.jar" "$prefix/lib/otela/otela.jar.new"
mv -f "$prefix/lib/otela/otela.jar.new" "$prefix/lib/otela/otela.jar"
cp "$here/otela" "$prefix/bin/otela.new"
chmod 755 "$prefix/bin/otela.new"
mv -f "$prefix/bin/otela.new" "$prefix/bin/otela"
echo "installed $prefix/bin/otela and $prefix/lib/otela/otela.jar"

if [ "$systemd" = yes ] && [ "$root" = yes ] && [ -d "$unit_dir" ]; then
  sed -e "s|@BINDIR@|$prefix/bin|g" -e "s|@USER@|$user|g" -e "s|@CONFDIR@|$conf_dir|g" "$here/otela.service" \
    > "$unit_dir/otela.service"
  mkdir -p "$conf_dir"
  if [ ! -f "$conf_dir/otela.conf" ]; then
    cat > "$conf_dir/otela.conf" <<'CONF'
# otela's settings for the systemd unit: each flag --X of `otela start` is the key otela.X here (HOCON).
# A worker on a GPU machine (replace the head's address and peer id, and the model):
# otela.bootstrap.addr = ["/ip4/192.168.1.10/tcp/43905/p2p/QmQLpCkZmKp4eHQF7wGoGmgqMdQfYHAZ4dhNVYLv2A1bdE"]
# otela.subprocess = "vllm serve Qwen/Qwen3-8B --max_model_len 16384 --port 8080"
# otela.service.name = "llm"
# otela.service.port = 8080
# otela.service.start_timeout = 30m
# A head instead: otela.mode = "standalone", otela.seed = "0"
# otela.public-addr = "192.168.1.20"
CONF
  fi
  if command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload 2>/dev/null || true
  fi
  echo "installed $unit_dir/otela.service (User=$user); settings: $conf_dir/otela.conf"
  echo "next: edit $conf_dir/otela.conf, then: systemctl enable --now otela; journalctl -fu otela"
else
  echo "next: $prefix/bin/otela start --help"
  case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "($prefix/bin is not on your PATH: add it, or run $prefix/bin/otela)" ;;
  esac
fi
if ! "$prefix/bin/otela" version >/dev/null 2>&1; then
  "$prefix/bin/otela" version || true
  echo "install.sh: installed, but otela does not run yet (see the line above)" >&2
fi
