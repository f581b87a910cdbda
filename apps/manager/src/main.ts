#!/usr/bin/env node
// star-manager: metadata and coordination (namespaces, shards, chains, terms, membership). This issue boots the skeleton; the manager issue fills it in.
import { runService } from '@star/core';

await runService({ service: 'manager' });
