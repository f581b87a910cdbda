#!/usr/bin/env node
// Checkpoint worker pool on BullMQ: manager images and shard snapshots. This issue boots the skeleton; the checkpoint issue fills it in.
import { runService } from '@star/core';

await runService({ service: 'checkpointer' });
