#!/usr/bin/env node
// Replica chain node: holds shard replicas in SQLite and runs the chain protocol for each.
import { runService } from '@star/core';
import { registerNode, wireNode } from './node-runtime.js';
import { NodeSettings } from './node-settings.js';

await runService({ service: 'node', settings: NodeSettings, wire: wireNode, listening: registerNode });
