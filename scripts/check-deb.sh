#!/usr/bin/env bash
# Builds the .deb (cargo deb) and checks it: the file list and modes, the conffile, the
# maintainer scripts; then, when run as root on a Debian machine, installs it, checks the
# user, the config's owner and mode, that the service user can read and check the config, and
# purges it again. .ci/run calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo-deb >/dev/null || cargo install cargo-deb --locked --version 3.8.0
cargo deb --locked
deb=$(ls -t target/debian/encore_*.deb | head -1)
echo "built $deb"

listing=$(dpkg-deb -c "$deb" | awk '{print $1, $6}')
expect() {
    grep -qx -- "$1" <<<"$listing" || { echo "missing from the package: $1"; echo "$listing"; exit 1; }
}
expect "-rwxr-xr-x ./usr/bin/encore"
expect "-rw-r--r-- ./usr/lib/systemd/system/encore.service"
expect "-rw-r--r-- ./usr/lib/sysusers.d/encore.conf"
expect "-rw-r----- ./etc/encore/config.toml"
expect "-rw-r--r-- ./usr/share/man/man1/encore.1"
expect "-rw-r--r-- ./usr/share/man/man1/encore-run.1"
expect "-rw-r--r-- ./usr/share/bash-completion/completions/encore"
expect "-rw-r--r-- ./usr/share/zsh/vendor-completions/_encore"
expect "-rw-r--r-- ./usr/share/fish/vendor_completions.d/encore.fish"
expect "-rw-r--r-- ./usr/share/doc/encore/README.md"
expect "-rw-r--r-- ./usr/share/doc/encore/titles.example.toml"
expect "-rw-r--r-- ./usr/share/doc/encore/copyright"
expect "-rw-r--r-- ./usr/share/doc/encore/LICENSE-MIT"
expect "-rw-r--r-- ./usr/share/doc/encore/LICENSE-APACHE"
expect "-rw-r--r-- ./usr/share/doc/encore/third-party-licenses.txt"

control=$(mktemp -d)
trap 'rm -rf "$control"' EXIT
dpkg-deb -e "$deb" "$control"
grep -qx "/etc/encore/config.toml" "$control/conffiles" || { echo "config.toml is not a conffile"; exit 1; }
grep -q "systemd-sysusers" "$control/postinst" || { echo "postinst does not create the user"; exit 1; }
if grep -q "deb-systemd-helper enable encore.service" "$control/postinst" \
    && ! grep -q "was-enabled encore.service" "$control/postinst"; then
    echo "postinst enables the service before the admin has edited the config"; exit 1
fi
cmp -s <(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/encore.service) systemd/encore.service \
    || { echo "the packaged unit differs from systemd/encore.service"; exit 1; }
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/encore/copyright | grep -q "Permission is hereby granted" \
    || { echo "the copyright file lacks Encore's licence text"; exit 1; }
echo "package contents: OK"

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && ! dpkg -s encore >/dev/null 2>&1; then
    dpkg -i "$deb"
    trap 'dpkg --purge encore >/dev/null 2>&1 || true; rm -rf "$control"' EXIT
    getent passwd encore | grep -q ":/var/lib/encore:/usr/sbin/nologin$" || { echo "no encore user"; exit 1; }
    [ "$(stat -c '%U:%G %a' /etc/encore/config.toml)" = "root:encore 640" ] \
        || { echo "config owner/mode: $(stat -c '%U:%G %a' /etc/encore/config.toml)"; exit 1; }
    runuser -u encore -- /usr/bin/encore check >/dev/null
    man -w encore >/dev/null
    dpkg --purge encore
    echo "install, user, config mode, check as the service user, purge: OK"
fi
