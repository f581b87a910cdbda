export * from './chain.js';
export * from './checkpoint.js';
export * from './cluster.js';
export * from './errors.js';
export * from './key-hash.js';
export * from './runtime-settings.js';
export * from './service-config.js';
export * from './transport.js';
