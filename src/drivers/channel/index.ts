/** Control channel implementation over any Duplex (TCP, TLS, in-memory). Interfaces: src/ports/control-channel.ts. */
export { channelMac, newNonce, verifyMac } from './auth';
export { ControlChannelClient, type ChannelClientOptions } from './client';
export { ChannelConnection, type ChannelConnectionOptions, type ChannelTimingOptions } from './connection';
export { decodeEnvelope, encodeEnvelope, errorBody, errorFromBody } from './envelope';
export { encodeFrame, FrameDecoder, FRAME_HEADER_BYTES } from './framing';
export { RecentJobResults } from './job-results';
export { ControlChannelServer, type ChannelServerOptions, type SecretLookup } from './server';
export { connectTcp, listenTcp, type TcpListener } from './tcp';
