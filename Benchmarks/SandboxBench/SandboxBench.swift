import Foundation
import GatehouseCore
import GatehouseSandbox
import Logging

// Measures the Actions sandbox through the same Swift pool the server uses: a post-login flow of
// three small actions (claim, metadata, transaction metadata). Run by `scripts/bench-sandbox`.
//
// Prints latency (one flow at a time: the first flows after the pool started, then steady, then
// steady with 8 KB actions; the last line gives the steady figures), throughput (as many flows in flight as workers), the
// first execution of a newly deployed version (compile + run), and a last line:
//   flows: p50_us=… p99_us=… flows_per_s=… cold_ms=…

@main
enum SandboxBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
            return Int(arguments[index + 1]) ?? fallback
        }
        let latencyFlows = option("--latency-flows", 5_000)
        let throughputSeconds = option("--seconds", 10)
        let workers = option("--workers", ProcessInfo.processInfo.activeProcessorCount)
        let warmUpFlows = option("--warm-up-flows", SandboxConfiguration.defaultWarmUpFlows)
        // `--runner DIR`: another copy of the runner (e.g. an older commit's, to compare two
        // runners side by side with one build); the shipped one by default.
        let runner = arguments.firstIndex(of: "--runner").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }

        let actions = [
            ActionSource(
                name: "claim", versionID: "bench-claim",
                code:
                    "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/roles', event.authorization.roles); };"
            ),
            ActionSource(
                name: "metadata", versionID: "bench-metadata",
                code: "exports.onExecutePostLogin = async (event, api) => { api.user.setAppMetadata('last_seen', event.request.ip); };"),
            ActionSource(
                name: "transaction", versionID: "bench-transaction",
                code:
                    "exports.onExecutePostLogin = async (event, api) => { api.transaction.setMetadata('plan', event.user.app_metadata.plan || 'free'); };"
            ),
        ]

        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let catalog = try TriggerCatalog.bundled()
        let event = try SampleEvents.bundled().event(for: "post-login")
        let pool = SandboxPool(
            configuration: SandboxConfiguration(workers: workers, runnerDirectory: runner, warmUpFlows: warmUpFlows), catalog: catalog,
            logger: logger)
        let starting = ContinuousClock.now
        try await pool.start()
        print(
            String(
                format: "pool start (%d workers, %d warm-up flows per trigger): %.0f ms", workers, warmUpFlows,
                micros(ContinuousClock.now - starting) / 1000))
        let request = FlowRequest(trigger: "post-login", event: event, actions: actions)

        // Compile the three versions on every worker (a server's first logins do the same).
        for _ in 0..<(workers * 50) { _ = try await pool.run(request) }

        // Latency, one flow at a time: first the flows right after the pool started, while V8
        // still optimises the runner for what real requests do (the warm-up's own flows leave
        // some of that undone, BENCHMARKS.md), then a steady server's.
        _ = try await latencyReport(pool: pool, request: request, flows: latencyFlows, label: "first flows after start")
        let (p50, p99) = try await latencyReport(pool: pool, request: request, flows: latencyFlows, label: "steady")

        // The same flow with bigger actions (8 KB of code each, as bundled helpers make them):
        // a worker gets a version's code once, so their size should not show per flow.
        var large = request
        large.actions = request.actions.map { action in
            let padding = String(repeating: "\n// a bundled helper's line of code, kept for its size in the request", count: 115)
            return ActionSource(
                name: action.name, versionID: action.versionID + "-8kb", code: action.code + padding, secrets: action.secrets)
        }
        for _ in 0..<(workers * 50) { _ = try await pool.run(large) }
        _ = try await latencyReport(pool: pool, request: large, flows: latencyFlows, label: "steady, three 8 KB actions")

        // Throughput: one flow in flight per worker, for a fixed time.
        let deadline = ContinuousClock.now + .seconds(throughputSeconds)
        let completed = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        _ = try await pool.run(request)
                        count += 1
                    }
                    return count
                }
            }
            var total = 0
            for try await count in group { total += count }
            return total
        }
        let flowsPerSecond = Double(completed) / Double(throughputSeconds)
        print(String(format: "throughput (%d workers, %d s): %.0f flows/s", workers, throughputSeconds, flowsPerSecond))

        // Cold: the first execution of a version no worker has seen (compile + run), median of 20.
        var cold: [Double] = []
        for index in 0..<20 {
            var fresh = request
            let first = fresh.actions[0]
            fresh.actions[0] = ActionSource(
                name: first.name, versionID: "bench-new-\(index)", code: first.code + "\n// deploy \(index)", secrets: first.secrets)
            let start = ContinuousClock.now
            _ = try await pool.run(fresh)
            cold.append(micros(ContinuousClock.now - start) / 1000)
        }
        cold.sort()
        print(String(format: "first execution of a new version: median %.2f ms", cold[cold.count / 2]))
        await pool.shutdown()
        print(
            String(format: "flows: p50_us=%.0f p99_us=%.0f flows_per_s=%.0f cold_ms=%.2f", p50, p99, flowsPerSecond, cold[cold.count / 2]))
    }

    /// Runs `flows` flows one after the other and returns each one's latency in µs. Not on the
    /// main actor (where `main` runs): the server's request handlers call the pool from the
    /// cooperative pool, and so does this, without a hop back to the main thread per flow.
    nonisolated static func latencies(pool: SandboxPool, request: FlowRequest, flows: Int) async throws -> [Double] {
        var samples: [Double] = []
        samples.reserveCapacity(flows)
        for _ in 0..<flows {
            let start = ContinuousClock.now
            let result = try await pool.run(request)
            samples.append(micros(ContinuousClock.now - start))
            precondition(result.status == .completed, "flow failed: \(result)")
        }
        return samples
    }

    /// Runs `flows` flows one at a time and prints their percentiles.
    nonisolated static func latencyReport(
        pool: SandboxPool, request: FlowRequest, flows: Int, label: String
    ) async throws -> (p50: Double, p99: Double) {
        var samples = try await latencies(pool: pool, request: request, flows: flows)
        samples.sort()
        let p50 = samples[samples.count / 2]
        let p90 = samples[Int(Double(samples.count) * 0.90)]
        let p99 = samples[Int(Double(samples.count) * 0.99)]
        print(
            "latency, \(label) "
                + String(
                    format: "(sequential, %d flows): p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, max %.0f µs", flows, p50, p90, p99,
                    samples[samples.count - 1]))
        return (p50, p99)
    }

    static func micros(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }
}
