import Foundation
import GatehouseCore
import GatehouseSandbox
import Logging

/// A real pool of Node.js workers for one test.
enum SandboxFixture {
    static let catalog: TriggerCatalog = try! TriggerCatalog.bundled()

    static func withPool<T: Sendable>(
        workers: Int = 1, heapMegabytes: Int = 64, bundles: String? = nil, warmUpFlows: Int = 0, callerWait: Duration? = nil,
        memoryMegabytes: Int? = nil, quarantineCoolDown: Duration? = nil, sources: DependencySources = .registryOnly,
        _ body: @Sendable (SandboxPool) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "sandbox-test")
        logger.logLevel = .critical
        var configuration = SandboxConfiguration(
            workers: workers, heapMegabytes: heapMegabytes, graceMillis: 300, bundlesDirectory: bundles, warmUpFlows: warmUpFlows)
        if let callerWait { configuration.callerWait = callerWait }
        if let memoryMegabytes { configuration.memoryMegabytes = memoryMegabytes }
        if let quarantineCoolDown { configuration.quarantineCoolDown = quarantineCoolDown }
        configuration.dependencySources = sources
        let pool = SandboxPool(configuration: configuration, catalog: catalog, logger: logger)
        try await pool.start()
        do {
            let result = try await body(pool)
            await pool.shutdown()
            return result
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    static func postLogin(_ sources: [(String, String)], budget: Int = 5_000, secrets: [String: String] = [:]) throws -> FlowRequest {
        FlowRequest(
            trigger: "post-login", event: try SampleEvents.bundled().event(for: "post-login"),
            actions: sources.map { ActionSource(name: $0.0, versionID: "v-" + $0.0, code: $0.1, secrets: secrets) },
            budgetMillis: budget)
    }

    /// Waits (bounded) until the pool is back to `count` idle workers.
    static func waitForWorkers(_ pool: SandboxPool, _ count: Int) async -> Int {
        for _ in 0..<100 {
            if pool.workerCount == count { return count }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return pool.workerCount
    }
}
