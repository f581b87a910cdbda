#!/usr/bin/env node
// Checkpoint worker pool on BullMQ: manager images, shard snapshots, compaction. Run one or many.
import { runService } from '@star/core';
import { wireCheckpointer } from './checkpointer-runtime.js';
import { CheckpointerSettings } from './checkpointer-settings.js';

await runService({ service: 'checkpointer', settings: CheckpointerSettings, wire: wireCheckpointer });
