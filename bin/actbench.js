#!/usr/bin/env node
// Entry point of the `actbench` command: the compiled CLI (built by `npm install` via `prepare`).
import '../dist/cli/bin.js';
