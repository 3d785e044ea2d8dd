import Foundation
import GatehouseCore
import Logging

/// A pool of warm runner workers. Each flow takes one worker for its whole duration; a worker
/// that overruns the flow budget is killed and replaced, one that crashes is replaced, and the
/// pool stays at full strength (`DESIGN.md`, "The sandbox").
public actor SandboxPool {
    public let configuration: SandboxConfiguration
    private let catalogFrame: Data
    private let logger: Logger
    private var idle: [SandboxWorker] = []
    private var waiters: [CheckedContinuation<SandboxWorker, any Error>] = []
    private var nextWorkerID = 0
    private var nextRequestID = 0
    private var started = false
    private var stopped = false

    public enum Failure: Error, CustomStringConvertible {
        case nodeMissing(String)
        case workerDidNotStart(String)
        case stopped

        public var description: String {
            switch self {
            case .nodeMissing(let path):
                "cannot run the Actions sandbox: no Node.js binary at \(path) (install Node.js ≥ 20 or set GATEHOUSE_NODE)"
            case .workerDidNotStart(let why): "an Actions sandbox worker did not start: \(why)"
            case .stopped: "the Actions sandbox is shut down"
            }
        }
    }

    public init(configuration: SandboxConfiguration, catalog: TriggerCatalog, logger: Logger) {
        self.configuration = configuration
        self.catalogFrame = Data(JSONValue.object(["type": "init", "catalog": catalog.runnerJSON]).jsonData())
        self.logger = logger
    }

    /// Starts every worker and waits until each has loaded the catalog.
    public func start() async throws {
        guard !started else { return }
        started = true
        try await withThrowingTaskGroup(of: SandboxWorker.self) { group in
            for _ in 0..<configuration.workers {
                let id = takeWorkerID()
                group.addTask { try await Self.spawn(id: id, configuration: self.configuration, catalog: self.catalogFrame) }
            }
            for try await worker in group { checkin(worker) }
        }
    }

    public var workerCount: Int { idle.count }

    /// Runs one flow. Never throws for what happens inside the sandbox: a timeout, a crash or a
    /// runner refusal comes back as a failed `FlowResult` with the error classified.
    ///
    /// Only taking and returning a worker happen on the actor; encoding, the round trip and
    /// decoding run outside it, so flows on different workers proceed in parallel.
    public nonisolated func run(_ request: FlowRequest) async throws -> FlowResult {
        let (worker, requestID) = try await checkoutForFlow()
        let frame = Data(request.frame(id: requestID).jsonData())
        let reply: Data
        do {
            reply = try await worker.exchange(frame, timeout: .milliseconds(request.budgetMillis + configuration.graceMillis))
        } catch {
            await replace(worker)
            return failure(for: error, budget: request.budgetMillis)
        }
        guard let result = Self.decodeResult(reply) else {
            logger.error("sandbox worker broke the protocol; replacing it", metadata: ["worker": "\(worker.id)"])
            worker.kill()
            await replace(worker)
            return FlowResult(
                status: .failed, actions: [],
                error: ActionError(
                    name: "PlatformError", message: "the sandbox worker answered with an invalid frame", class: "platform_error"))
        }
        if result.recycle { await replace(worker) } else { await checkin(worker) }
        return result.flow
    }

    private func checkoutForFlow() async throws -> (SandboxWorker, Int) {
        if !started { try await start() }
        let worker = try await checkout()
        nextRequestID += 1
        return (worker, nextRequestID)
    }

    /// Stops every worker.
    public func shutdown() {
        stopped = true
        for worker in idle { worker.shutdown() }
        idle.removeAll()
        for waiter in waiters { waiter.resume(throwing: Failure.stopped) }
        waiters.removeAll()
    }

    // MARK: - Workers

    private func takeWorkerID() -> Int {
        nextWorkerID += 1
        return nextWorkerID
    }

    private func checkout() async throws -> SandboxWorker {
        if stopped { throw Failure.stopped }
        if let worker = idle.popLast() { return worker }
        return try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    private func checkin(_ worker: SandboxWorker) {
        if stopped {
            worker.shutdown()
        } else if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: worker)
        } else {
            idle.append(worker)
        }
    }

    /// Retires `worker` and starts a fresh one in the background; flows waiting meanwhile get
    /// the other workers.
    private func replace(_ worker: SandboxWorker) {
        worker.kill()
        guard !stopped else { return }
        let id = takeWorkerID()
        let configuration = configuration
        let catalogFrame = catalogFrame
        let logger = logger
        Task {
            while !self.isStopped {
                do {
                    let fresh = try await Self.spawn(id: id, configuration: configuration, catalog: catalogFrame)
                    await self.checkin(fresh)
                    return
                } catch {
                    logger.error("cannot start a sandbox worker; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    private var isStopped: Bool { stopped }

    static func spawn(id: Int, configuration: SandboxConfiguration, catalog: Data) async throws -> SandboxWorker {
        guard FileManager.default.isExecutableFile(atPath: configuration.nodeBinary) else {
            throw Failure.nodeMissing(configuration.nodeBinary)
        }
        let worker = try SandboxWorker(id: id, launch: configuration.launch())
        let reply: Data
        do {
            reply = try await worker.exchange(catalog)
        } catch {
            worker.kill()
            throw Failure.workerDidNotStart("\(error)")
        }
        guard let frame = JSONValue(jsonData: reply), frame["type"] == "ready" else {
            worker.kill()
            throw Failure.workerDidNotStart(String(decoding: reply.prefix(500), as: UTF8.self))
        }
        return worker
    }

    // MARK: - Results

    private static func decodeResult(_ data: Data) -> (flow: FlowResult, recycle: Bool)? {
        guard let frame = JSONValue(jsonData: data), let flow = FlowResult(runnerFrame: frame) else { return nil }
        return (flow, frame["recycle"] == .bool(true))
    }

    private nonisolated func failure(for error: any Error, budget: Int) -> FlowResult {
        if case SandboxWorker.Failure.exited(let status, let diagnostics) = error {
            // Only the deadline of `exchange` sends SIGKILL to a worker in the middle of a flow.
            if status == SIGKILL {
                return FlowResult(
                    status: .failed, actions: [],
                    error: ActionError(
                        name: "TimeoutError", message: "The flow did not finish within its \(budget) ms budget; its worker was stopped.",
                        class: "action_timeout"))
            }
            let outOfMemory = diagnostics.contains("heap out of memory") || diagnostics.contains("Allocation failed")
            logger.warning("sandbox worker exited during a flow", metadata: ["status": "\(status)", "out_of_memory": "\(outOfMemory)"])
            return FlowResult(
                status: .failed, actions: [],
                error: ActionError(
                    name: "PlatformError",
                    message: outOfMemory
                        ? "The action ran out of memory (heap limit \(configuration.heapMegabytes) MB); its worker was restarted."
                        : "The sandbox worker exited unexpectedly (status \(status)); it was restarted.",
                    class: "platform_error"))
        }
        return FlowResult(
            status: .failed, actions: [],
            error: ActionError(name: "PlatformError", message: "The sandbox could not run the flow: \(error)", class: "platform_error"))
    }
}
