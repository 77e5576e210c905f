#!/usr/bin/env bash
# Builds gatehouse_VERSION_ARCH.deb from a release build directory:
#   scripts/make-deb.sh BUILD_DIR OUT_DIR [BINARY]   (BINARY: default gatehouse;
#   make deb passes gatehouse_pkg, the release binary that reads the packaged
#   configuration file)
# The binary in /usr/sbin (built with GH_DEFAULT_CONFIG=/etc/gatehouse/gatehouse.conf),
# gatehouse(8), the systemd unit, the configuration file (a conffile), the
# sample alerts and Grafana dashboard in /usr/share/doc/gatehouse. Depends are
# the Debian packages of the shared libraries the binary links.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
out=$(mkdir -p "$2" && cd "$2" && pwd)
bin=${3:-gatehouse}
version=$(sed -n 's/^project(gatehouse VERSION \([0-9.]*\).*/\1/p' "$here/CMakeLists.txt")
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -D -m 0755 "$build/$bin" "$stage/usr/sbin/gatehouse"
strip --strip-unneeded "$stage/usr/sbin/gatehouse"
install -d -m 0755 "$stage/usr/share/man/man8"
gzip -9n < "$build/gatehouse.8" > "$stage/usr/share/man/man8/gatehouse.8.gz"
chmod 0644 "$stage/usr/share/man/man8/gatehouse.8.gz"
install -D -m 0644 "$here/packaging/gatehouse.service" "$stage/lib/systemd/system/gatehouse.service"
install -D -m 0644 "$here/packaging/gatehouse.conf" "$stage/etc/gatehouse/gatehouse.conf"
install -D -m 0644 "$here/packaging/prometheus-alerts.yml" "$stage/usr/share/doc/gatehouse/prometheus-alerts.yml"
install -D -m 0644 "$here/packaging/grafana-dashboard.json" "$stage/usr/share/doc/gatehouse/grafana-dashboard.json"
install -D -m 0644 "$here/README.md" "$stage/usr/share/doc/gatehouse/README.md"

# Depends: the package of each shared library, at least the installed version.
deps=()
for lib in $(ldd "$build/gatehouse" | awk '/=> \//{print $3}'); do
  real=$(readlink -f "$lib")
  pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
  pkg=${pkg%%:*}
  [ -n "$pkg" ] || continue
  ver=$(dpkg-query -W -f='${Version}' "$pkg" | sed 's/-[^-]*$//')
  deps+=("$pkg (>= ${ver%%+*})")
done
depends=$(printf '%s\n' "${deps[@]}" | sort -u | paste -sd, | sed 's/,/, /g')
size=$(du -sk "$stage" | cut -f1)
install -d -m 0755 "$stage/DEBIAN"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: gatehouse
Version: $version
Architecture: $arch
Maintainer: gatehouse <gatehouse@localhost>
Section: net
Priority: optional
Installed-Size: $size
Depends: $depends
Description: user directory and access-control service for manufacturing plants
 gatehouse serves the user directory, permission checks, console and kiosk
 pages of one or more organizations from one SQLite database.
CONTROL
echo /etc/gatehouse/gatehouse.conf > "$stage/DEBIAN/conffiles"
cat > "$stage/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null || true
  systemctl enable gatehouse.service >/dev/null || true
  systemctl restart gatehouse.service >/dev/null || true
fi
POSTINST
cat > "$stage/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl stop gatehouse.service >/dev/null || true; fi
PRERM
cat > "$stage/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi
POSTRM
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"
deb="$out/gatehouse_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
