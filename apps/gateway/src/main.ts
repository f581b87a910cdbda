#!/usr/bin/env node
// Public REST + WebSocket API and connectors. This issue boots the skeleton; the gateway issue fills it in.
import { runService } from '@star/core';

await runService({ service: 'gateway' });
