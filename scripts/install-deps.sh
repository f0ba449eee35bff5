#!/usr/bin/env bash
# Installs the Debian packages the xsite lab needs (Open vSwitch tools and daemons, ethtool, iproute2, ping) when
# something is missing. Idempotent; prints nothing when everything is present.
#
# The lab runs its OWN ovsdb-server/ovs-vswitchd (userspace datapath) in a private directory and never uses the
# system-wide OVS. So that installing openvswitch-switch does not start a system OVS either, a temporary
# /usr/sbin/policy-rc.d forbidding service starts is put in place during the install (only when none exists) and
# removed afterwards.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
for b in ovs-vswitchd ovsdb-server; do have "$b" || need+=(openvswitch-switch); done
for b in ovs-vsctl ovs-ofctl ovs-appctl ovsdb-tool; do have "$b" || need+=(openvswitch-common); done
[ -f /usr/share/openvswitch/vswitch.ovsschema ] || need+=(openvswitch-common)
have ethtool || need+=(ethtool)
have ip || need+=(iproute2)
have ping || need+=(iputils-ping)
# The conformance suite captures real packets in the lab namespaces with a small AF_PACKET sniffer in Python.
[ -x /usr/bin/python3 ] || need+=(python3)
# QEMU guests for the live-migration lab (issue 5; the guest itself is built by scripts/build-guest.sh).
have qemu-system-x86_64 || need+=(qemu-system-x86)

[ ${#need[@]} -eq 0 ] && exit 0

mapfile -t pkgs < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "xsite: missing packages ${pkgs[*]}; run this script as root" >&2
  exit 1
fi
echo "xsite: installing ${pkgs[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${pkgs[@]}" >/dev/null
echo "xsite: installed ${pkgs[*]}" >&2
