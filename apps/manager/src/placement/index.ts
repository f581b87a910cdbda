export { type ChooseReplacementInput, chooseReplacement } from './choose-replacement.js';
export { applyMove, applyMoves, type RebalanceMove } from './moves.js';
export { eligibleNodes, replicaCounts } from './node-ranking.js';
export { type PlaceShardsInput, placeShards } from './place-shards.js';
export { type HeadHandOver, type PlanHeadHandOversInput, planHeadHandOvers } from './plan-head-handovers.js';
export { type PlanRebalanceInput, planRebalance } from './plan-rebalance.js';
