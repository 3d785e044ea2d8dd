import Foundation
import GatehouseCore
import Logging
import Testing

@testable import GatehouseSandbox

@Suite("Sandbox: workers warm up before they take traffic") struct SandboxWarmUpTests {
    @Test("every worker, the first ones and a replacement, runs the warm-up flows on post-login and credentials-exchange first")
    func warmUp() async throws {
        var logger = Logger(label: "sandbox-test")
        logger.logLevel = .critical
        let configuration = SandboxConfiguration(workers: 1, heapMegabytes: 64, graceMillis: 300, warmUpFlows: 25)
        let pool = SandboxPool(configuration: configuration, catalog: SandboxFixture.catalog, logger: logger)
        try await pool.start()
        do {
            try await exercise(pool)
        } catch {
            await pool.shutdown()
            throw error
        }
        await pool.shutdown()
    }

    private func exercise(_ pool: SandboxPool) async throws {
        #expect(await pool.idleWorkersWarmUp == [50])

        // Real flows see nothing of the warm-up: no cache entries, no metadata, no leftover answers.
        let result = try await pool.run(
            try SandboxFixture.postLogin([
                (
                    "reader",
                    "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/seen', [String(api.cache.get('warm0')), Object.keys(event.user.app_metadata).join(',')]); };"
                )
            ]))
        #expect(result.status == .completed)
        let seen: JSONValue = .array(["undefined", "plan"])
        #expect(result.commands == [Command(method: "api.idToken.setCustomClaim", args: ["https://x/seen", seen])])

        // A worker killed at the budget is replaced by one that warms up too.
        let stuck = try await pool.run(
            try SandboxFixture.postLogin([("loop", "exports.onExecutePostLogin = () => { while (true) {} };")], budget: 200))
        #expect(stuck.error?.class == "action_timeout")
        #expect(await SandboxFixture.waitForWorkers(pool, 1) == 1)
        #expect(await pool.idleWorkersWarmUp == [50])
    }

    @Test("without warm-up flows the init frame asks for none and workers start cold")
    func cold() async throws {
        try await SandboxFixture.withPool { pool in
            #expect(await pool.idleWorkersWarmUp == [0])
        }
    }
}
