import Foundation
import GatehouseCore
import Testing

@testable import GatehouseSandbox

@Suite("Sandbox: workers warm up before they take traffic") struct SandboxWarmUpTests {
    @Test("every worker, the first ones and a replacement, runs the warm-up flows on post-login and credentials-exchange first")
    func warmUp() async throws {
        try await SandboxFixture.withPool(warmUpFlows: 25) { pool in
            #expect(pool.idleWorkersWarmUp == [50])

            // The first real flow is answered with its own result, not a warm-up's.
            let result = try await pool.run(
                try SandboxFixture.postLogin([
                    ("reader", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/seen', 1); };")
                ]))
            #expect(result.status == .completed)
            #expect(result.actions.map(\.name) == ["reader"])
            #expect(result.commands == [Command(method: "api.idToken.setCustomClaim", args: ["https://x/seen", 1])])

            // A worker killed at the budget is replaced by one that warms up too.
            let stuck = try await pool.run(
                try SandboxFixture.postLogin([("loop", "exports.onExecutePostLogin = () => { while (true) {} };")], budget: 200))
            #expect(stuck.error?.class == "action_timeout")
            #expect(await SandboxFixture.waitForWorkers(pool, 1) == 1)
            #expect(pool.idleWorkersWarmUp == [50])
        }
    }

    @Test("without warm-up flows the pool runs none and workers start cold")
    func cold() async throws {
        try await SandboxFixture.withPool { pool in
            #expect(pool.idleWorkersWarmUp == [0])
        }
    }

    @Test("a replacement stops warming up as soon as a flow waits for it: with its only worker lost, the pool serves the next flow cold")
    func replacementServesWaitingFlowsFirst() async throws {
        try await SandboxFixture.withPool(warmUpFlows: 2_000) { pool in
            #expect(pool.idleWorkersWarmUp == [4_000])
            let eater = try SandboxFixture.postLogin([("eater", SandboxHarmTests.heapEater)], budget: 30_000)
            #expect(try await pool.run(eater).error?.name == "MemoryLimitError")
            // No worker left: this flow waits, and the replacement serves it before its 400 warm-up flows.
            let waited = try await pool.run(try SandboxFixture.postLogin([("fine", SandboxHarmTests.fine)]))
            #expect(waited.status == .completed, "\(waited)")
            let warmUps = pool.idleWorkersWarmUp
            #expect(!warmUps.isEmpty && warmUps.min()! < 400, "\(warmUps)")
        }
    }
}
