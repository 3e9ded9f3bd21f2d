// Loaded with `node --import` before a command runs: records every module the process loads (ES
// modules through a resolve hook, CommonJS through Module._load) and writes the list, one per
// line, to $GAS_MODULE_PROBE_OUT when the process exits. Used by test/cli/fast-start.test.ts.
import { createRequire, register } from 'node:module'
import { writeFileSync } from 'node:fs'
import { MessageChannel } from 'node:worker_threads'

const out = process.env.GAS_MODULE_PROBE_OUT
const seen = new Set()
const { port1, port2 } = new MessageChannel()
port1.on('message', (url) => seen.add(url))
port1.unref()
const hook = `let port
export function initialize (data) { port = data.port }
export async function resolve (specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r }`
register(`data:text/javascript,${encodeURIComponent(hook)}`, { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] })
const Module = createRequire(import.meta.url)('node:module')
const load = Module._load
Module._load = function (request, parent, isMain) {
  try { seen.add(Module._resolveFilename(request, parent, isMain)) } catch {}
  return load.apply(this, arguments)
}
process.on('exit', () => { if (out !== undefined) writeFileSync(out, [...seen].join('\n')) })
