export { bridgeGrudge, completeGrudge, isolateGrudge, oneWayGrudge, pairGrudge } from './grudges.js';
export { Host } from './host.js';
export { NETLAB_HINT, netlabUnavailableReason, requireNetlab } from './lab-tools.js';
export { Netem, type Shape } from './netem.js';
export { NetworkLab, type NetworkLabOptions } from './network-lab.js';
export { type CutMode, type Grudge, PartitionRules } from './partition-rules.js';
