export { decodeFrame, encodeFrame, FrameDecodeError } from './frame-codec.js';
export { Link, type LinkStats, type RequestOptions } from './link.js';
export { LinkClient, type LinkClientOptions } from './link-client.js';
export { defaultLinkOptions, type LinkOptions } from './link-options.js';
export { LinkPool } from './link-pool.js';
export { LinkRouter, type NotifyHandler, type RequestHandler } from './link-router.js';
export { type LinkServerOptions, linkServer } from './link-server.js';
