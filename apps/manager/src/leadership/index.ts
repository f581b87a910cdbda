export { LeaderElection, type LeaderElectionEvents, type LeaderElectionParams } from './leader-election.js';
export { type LeaderRecord, LeaderRecordSchema, parseLeaderRecord } from './leader-record.js';
