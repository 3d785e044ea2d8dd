import Foundation
import GatehouseCore
import GatehouseSandbox
import Logging

// What legacy rules add to a login's flow: a post-login flow of three actions alone, and the
// same three actions after three rules (two of `Tests/Fixtures/rules/` and an allow-list check),
// through the same Swift pool the server uses. Run by `scripts/bench-rules`.
//
// The two flows alternate, one at a time, so that both see the same machine; prints each one's
// latency percentiles, the difference of the medians, and a last line
//   rules: actions_p50_us=… rules_actions_p50_us=… overhead_p50_us=… actions_p99_us=… rules_actions_p99_us=…

@main
enum RulesBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func option(_ name: String, _ fallback: Int) -> Int {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
            return Int(arguments[index + 1]) ?? fallback
        }
        let flows = option("--flows", 5_000)
        let workers = option("--workers", 1)
        let warmUpFlows = option("--warm-up-flows", SandboxConfiguration.defaultWarmUpFlows)
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/rules")
        func fixture(_ name: String) throws -> String {
            try String(contentsOf: fixtures.appendingPathComponent("\(name).js"), encoding: .utf8)
        }

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
        let event = try SampleEvents.bundled().event(for: "post-login")
        let configuration = ["RULES_CLIENTS": event["client"]?["client_id"]?.stringValue ?? "", "ALLOWED_DOMAINS": "example.com"]
        let allowList = """
            function (user, context, callback) {
              const allowed = configuration.ALLOWED_DOMAINS.split(',');
              const domain = (user.email || '').split('@')[1];
              if (allowed.indexOf(domain) === -1) return callback(new UnauthorizedError('domain not allowed'));
              callback(null, user, context);
            }
            """
        let rules = [
            ActionSource(
                name: "default-role", versionID: "rul_bench1", code: try fixture("default-role"), secrets: configuration, isRule: true),
            ActionSource(name: "allow-list", versionID: "rul_bench2", code: allowList, secrets: configuration, isRule: true),
            ActionSource(
                name: "roles-to-tokens", versionID: "rul_bench3", code: try fixture("roles-to-tokens"), secrets: configuration, isRule: true
            ),
        ]

        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let pool = SandboxPool(
            configuration: SandboxConfiguration(workers: workers, warmUpFlows: warmUpFlows), catalog: try TriggerCatalog.bundled(),
            logger: logger)
        try await pool.start()
        let plain = FlowRequest(trigger: "post-login", event: event, actions: actions)
        let withRules = FlowRequest(trigger: "post-login", event: event, actions: rules + actions)
        let check = try await pool.run(withRules)
        precondition(check.status == .completed && check.actions.count == 6, "the rules flow did not complete: \(check)")
        precondition(
            check.commands.contains { $0.method == "api.idToken.setCustomClaim" && $0.args.first == "https://gatehouse.example/roles" },
            "the rules did not set their claim: \(check.commands)")
        // Compile everything on every worker and let V8 optimise both paths.
        for _ in 0..<(workers * 200) {
            _ = try await pool.run(plain)
            _ = try await pool.run(withRules)
        }
        let (a, b) = try await measure(pool: pool, plain: plain, withRules: withRules, flows: flows)
        print(report("three actions", a))
        print(report("three rules + three actions", b))
        let overhead = b.p50 - a.p50
        print(String(format: "overhead of three rules: p50 +%.0f µs, p99 +%.0f µs", overhead, b.p99 - a.p99))
        await pool.shutdown()
        print(
            String(
                format:
                    "rules: actions_p50_us=%.0f rules_actions_p50_us=%.0f overhead_p50_us=%.0f actions_p99_us=%.0f rules_actions_p99_us=%.0f",
                a.p50, b.p50, overhead, a.p99, b.p99))
    }

    struct Percentiles {
        var p50: Double
        var p90: Double
        var p99: Double
        var count: Int
    }

    /// Alternates the two flows, one at a time, `flows` of each.
    nonisolated static func measure(pool: SandboxPool, plain: FlowRequest, withRules: FlowRequest, flows: Int) async throws -> (
        Percentiles, Percentiles
    ) {
        var a: [Double] = []
        var b: [Double] = []
        for _ in 0..<flows {
            var start = ContinuousClock.now
            _ = try await pool.run(plain)
            a.append(micros(ContinuousClock.now - start))
            start = ContinuousClock.now
            let result = try await pool.run(withRules)
            b.append(micros(ContinuousClock.now - start))
            precondition(result.status == .completed, "flow failed: \(result)")
        }
        return (percentiles(a), percentiles(b))
    }

    static func percentiles(_ samples: [Double]) -> Percentiles {
        let sorted = samples.sorted()
        return Percentiles(
            p50: sorted[sorted.count / 2], p90: sorted[Int(Double(sorted.count) * 0.9)], p99: sorted[Int(Double(sorted.count) * 0.99)],
            count: sorted.count)
    }

    static func report(_ label: String, _ p: Percentiles) -> String {
        String(format: "%@ (sequential, %d flows): p50 %.0f µs, p90 %.0f µs, p99 %.0f µs", label, p.count, p.p50, p.p90, p.p99)
    }

    static func micros(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }
}
