#!/usr/bin/env node
// The `troupe` executable: registers tsx (the workspace's TypeScript loader) and runs
// src/main.ts, so an installed bin behaves like `pnpm troupe`.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
