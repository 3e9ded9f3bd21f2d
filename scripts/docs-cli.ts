import { writeFileSync } from 'node:fs'
import { buildProgram } from '../src/cli/main.js'
import { COMMAND_TABLE_FILE, commandModules, commandRows, commandTableSource } from '../src/cli/command-table-source.js'
import { CLI_REFERENCE_FILE, cliReference } from '../src/cli/reference.js'

/**
 * `npm run docs:cli`: writes docs/cli.md and src/cli/command-table.ts from the commander
 * definitions (tests check both are current). The table changes the build, so the script's npm
 * entry compiles again after it.
 */
writeFileSync(CLI_REFERENCE_FILE, cliReference(buildProgram()))
console.log(`wrote ${CLI_REFERENCE_FILE}`)
writeFileSync(COMMAND_TABLE_FILE, commandTableSource(commandRows(buildProgram(), await commandModules())))
console.log(`wrote ${COMMAND_TABLE_FILE}`)
