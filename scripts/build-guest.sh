#!/usr/bin/env bash
# Builds the tiny QEMU guest of the live-migration lab (issue 5): the Debian cloud kernel plus a busybox initramfs.
#
#   ${XSITE_GUEST_DIR:-/var/cache/xsite/guest}/vmlinuz
#   ${XSITE_GUEST_DIR:-/var/cache/xsite/guest}/initramfs.cpio.gz
#
# The kernel package (the one linux-image-cloud-amd64 depends on) is fetched with `apt-get download` and unpacked
# with `dpkg-deb -x` into the cache dir, so the host's /boot and /lib/modules are never touched. busybox-static,
# cpio and xz-utils are installed with apt-get when missing (root only).
#
# The guest's /init mounts proc/sys/dev, loads virtio_ring, virtio, virtio_pci_legacy_dev, virtio_pci_modern_dev,
# virtio_pci, failover, net_failover, virtio_net (in that order), configures eth0 from the kernel command line
# (xsite.ip=ADDR/PREFIX, optional xsite.gw=ADDR), starts a TCP echo service on port 7 (busybox `nc -ll -e cat`:
# one forked `cat` per connection, so a connection stays open and echoes its byte stream), and prints
# XSITE-GUEST-READY on the console. The kernel answers ping by itself.
#
# Idempotent: a stamp of the inputs (kernel package version, busybox version, this script) is kept next to the
# outputs; nothing is rebuilt (or downloaded) while it matches. Prints the guest dir on stdout.
set -euo pipefail

out=${XSITE_GUEST_DIR:-/var/cache/xsite/guest}
cache="$out/cache"
modules=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net)

need=()
if [ ! -x /bin/busybox ] || [ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" != "install ok installed" ]; then need+=(busybox-static); fi
command -v cpio >/dev/null 2>&1 || need+=(cpio)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v dpkg-deb >/dev/null 2>&1 || { echo "xsite: build-guest needs dpkg-deb (Debian)" >&2; exit 1; }
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "xsite: missing packages ${need[*]}; run this script as root" >&2; exit 1; fi
  echo "xsite: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The concrete kernel package behind the cloud metapackage (offline when the apt lists exist).
kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}' || true)
if [ -z "$kpkg" ]; then
  apt-get update -qq >/dev/null
  kpkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$kpkg" ] || { echo "xsite: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
kver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ {print $2; exit}')
bbver=$(dpkg-query -W -f='${Version}' busybox-static)
self=$(sha256sum "$0" | cut -d' ' -f1)
stamp="kernel=$kpkg/$kver busybox=$bbver script=$self"

if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initramfs.cpio.gz" ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache"
deb=$(ls "$cache"/"${kpkg}"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ] || [ "$(dpkg-deb -f "$deb" Version)" != "$kver" ]; then
  rm -f "$cache"/linux-image-*.deb
  (cd "$cache" && apt-get download -qq "$kpkg" 2>&1 | grep -v 'unsandboxed' >&2 || true)
  deb=$(ls "$cache"/"${kpkg}"_*.deb | head -1)
fi
kroot="$cache/kernel"
rm -rf "$kroot" && mkdir -p "$kroot"
dpkg-deb -x "$deb" "$kroot"
kname=${kpkg#linux-image-}
moddir="$kroot/lib/modules/$kname"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,lib/modules}
cp /bin/busybox "$root/bin/busybox"
for m in "${modules[@]}"; do
  f=$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -1)
  [ -n "$f" ] || { echo "xsite: module $m not found in $moddir" >&2; exit 1; }
  case "$f" in
    *.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -dc "$f" >"$root/lib/modules/$m.ko" ;;
    *) cp "$f" "$root/lib/modules/$m.ko" ;;
  esac
done
cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
for m in ${modules[*]}; do
  insmod /lib/modules/\$m.ko || echo "xsite-guest: insmod \$m failed"
done
ip=; gw=
for a in \$(cat /proc/cmdline); do
  case "\$a" in
    xsite.ip=*) ip=\${a#xsite.ip=} ;;
    xsite.gw=*) gw=\${a#xsite.gw=} ;;
  esac
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ \$i -lt 100 ]; do usleep 50000; i=\$((i+1)); done
ip link set lo up
ip link set eth0 up
[ -n "\$ip" ] && ip addr add "\$ip" dev eth0
[ -n "\$gw" ] && ip route add default via "\$gw"
nc -ll -p 7 -e /bin/cat &
echo "XSITE-GUEST-READY ip=\$ip mac=\$(cat /sys/class/net/eth0/address 2>/dev/null)"
while true; do sleep 3600; done
EOF
chmod 755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -9) >"$work/initramfs.cpio.gz"
cp "$kroot/boot/vmlinuz-$kname" "$work/vmlinuz"
mv -f "$work/vmlinuz" "$out/vmlinuz"
mv -f "$work/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
rm -rf "$kroot"
echo "$stamp" >"$out/stamp"
echo "$out"
