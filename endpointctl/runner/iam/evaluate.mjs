// The local runner's IAM evaluator: AWS's policy evaluation logic, as @cloud-copilot/iam-simulate
// implements it (identity and resource policies, every condition operator, same-account rules,
// KMS key policies). One JSON request per line on stdin, one JSON answer per line on stdout:
//   {"id": 1, "simulation": {...}}  ->  {"id": 1, "result": "Allowed" | "ImplicitlyDenied" |
//   "ExplicitlyDenied", "errors": null | {...}}
// endpointctl/runner/iam/evaluator.py starts it once per process.
import { runSimulation } from '@cloud-copilot/iam-simulate'
import readline from 'node:readline'

const lines = readline.createInterface({ input: process.stdin })
for await (const line of lines) {
  let answer
  try {
    const { id, simulation } = JSON.parse(line)
    const outcome = await runSimulation(simulation, {})
    answer = { id, result: outcome.overallResult ?? outcome.result?.analysis?.result ?? null, errors: outcome.errors ?? null }
  } catch (error) {
    answer = { id: null, result: null, errors: { message: String(error) } }
  }
  process.stdout.write(JSON.stringify(answer) + '\n')
}
