import { findBinary } from '../../src/lab/ovs-daemon';

/**
 * Why a QEMU lab test cannot run here, or false when it can. Under CI (CI=true) it never skips: a missing
 * prerequisite is a failure there, so the QEMU coverage cannot silently disappear.
 */
export function qemuSkipReason(): string | false {
  const reason =
    process.getuid?.() !== 0
      ? 'QEMU lab tests need root (network namespaces, taps, building the guest)'
      : !findBinary('qemu-system-x86_64')
        ? 'QEMU lab tests need qemu-system-x86 (scripts/install-deps.sh installs it)'
        : !findBinary('ip')
          ? 'QEMU lab tests need iproute2'
          : false;
  if (reason && process.env.CI) throw new Error(`CI must run the QEMU lab tests, but: ${reason}`);
  return reason;
}
