#!/usr/bin/env node
// The `benchlab` command: npm links this file (it keeps its execute bit in git); the CLI itself is compiled to dist/.
import '../dist/cli/benchlab.js';
