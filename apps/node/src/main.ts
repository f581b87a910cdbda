#!/usr/bin/env node
// Replica chain node: holds shard replicas and runs the chain protocol. This issue boots the skeleton; the chain-node issue fills it in.
import { runService } from '@star/core';

await runService({ service: 'node' });
