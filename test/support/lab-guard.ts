import { findBinary } from '../../src/lab/ovs-daemon';

/**
 * Why a lab test cannot run here, or false when it can. Under CI (CI=true) a lab test never skips: a missing
 * prerequisite is a failure there, so lab coverage cannot silently disappear.
 */
export function labSkipReason(): string | false {
  const reason =
    process.getuid?.() !== 0
      ? 'lab tests need root (network namespaces, Open vSwitch)'
      : !findBinary('ovs-vswitchd') || !findBinary('ovsdb-server') || !findBinary('ovs-ofctl')
        ? 'lab tests need openvswitch-switch (scripts/install-deps.sh installs it)'
        : false;
  if (reason && process.env.CI) throw new Error(`CI must run the lab tests, but: ${reason}`);
  return reason;
}
