/**
 * The one contract that wires the emulated network together: anything with a network interface (a switch port, a
 * host's NIC, a gateway port) exposes an Endpoint, and a Link joins two Endpoints. Frames are whole Ethernet frames
 * (no FCS) as Buffers.
 *
 * Frame ownership: a sender must not modify a frame after `transmit` (the link hands the same Buffer to the receiver,
 * and a hub may hand it to several); a receiver that wants to modify a frame copies it first.
 */
export interface Endpoint {
  /** Stable name for traces and errors, e.g. "dc1-tor1:3" or "vm7:eth0". */
  readonly name: string;
  /** Called by the link when a frame arrives at this endpoint. */
  receive(frame: Buffer): void;
  /**
   * Called once by the link that attaches this endpoint: `transmit` sends a frame into the link (it may be dropped by
   * loss or a full queue), `up` tells whether the link is up (read it at attach time: `carrierChanged` is not called
   * then). Passing `undefined` detaches the endpoint. Attaching an endpoint that is already attached is an error.
   */
  attach(tx: Transmitter | undefined): void;
  /**
   * Called by the link when its carrier changes (link up/down, and down before a detach); switches raise
   * PORT_STATUS from it.
   */
  carrierChanged?(up: boolean): void;
}

export interface Transmitter {
  transmit(frame: Buffer): void;
  readonly up: boolean;
}
