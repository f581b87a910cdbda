#!/usr/bin/env node
// star-manager: namespaces, shards, chains and terms in a fenced journal; membership, failure
// detection and reconfiguration while leading; metadata reads and the assignment stream always.
import { runService } from '@star/core';
import { startCampaign, wireManager } from './manager-runtime.js';
import { ManagerSettings } from './manager-settings.js';

await runService({
  service: 'manager',
  settings: ManagerSettings,
  wire: wireManager,
  listening: startCampaign,
});
