import { writeFileSync } from 'node:fs'
import { buildProgram } from '../src/cli/main.js'
import { CLI_REFERENCE_FILE, cliReference } from '../src/cli/reference.js'

/** `npm run docs:cli`: writes docs/cli.md from the commander definitions (a test checks it is current). */
writeFileSync(CLI_REFERENCE_FILE, cliReference(buildProgram()))
console.log(`wrote ${CLI_REFERENCE_FILE}`)
