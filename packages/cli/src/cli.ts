#!/usr/bin/env node
import { run } from './program';

process.exitCode = run(process.argv.slice(2));
