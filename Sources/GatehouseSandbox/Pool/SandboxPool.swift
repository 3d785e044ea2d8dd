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
    private var waiters: [(continuation: CheckedContinuation<SandboxWorker, any Error>, since: ContinuousClock.Instant)] = []
    private var nextWorkerID = 0
    private var nextRequestID = 0
    private var started = false
    private var stopped = false
    /// Workers started beyond `configuration.workers` because flows kept waiting (see `surge`).
    private var extraWorkers = 0
    private var surgePending = false
    /// The triggers on the path of every login and token: what a warm-up exercises.
    static let warmedTriggers = ["post-login", "credentials-exchange"]
    /// How long a flow waits for a busy pool before one more worker is started.
    static let surgeDelay: Duration = .milliseconds(100)

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

    /// Pools of the runtimes mapped to another Node binary, by runtime name (one pool per
    /// distinct binary); every other runtime runs here.
    nonisolated let runtimePools: [String: SandboxPool]

    public init(configuration: SandboxConfiguration, catalog: TriggerCatalog, logger: Logger) {
        self.configuration = configuration
        var initFrame: [String: JSONValue] = ["type": "init", "catalog": catalog.runnerJSON]
        if configuration.warmUpFlows > 0, let samples = try? SampleEvents.bundled() {
            var events: [String: JSONValue] = [:]
            for trigger in Self.warmedTriggers { events[trigger] = try? samples.event(for: trigger) }
            initFrame["warm_up"] = .object(["flows": .number(Double(configuration.warmUpFlows)), "events": .object(events)])
        }
        self.catalogFrame = Data(JSONValue.object(initFrame).jsonData())
        self.logger = logger
        var byBinary: [String: SandboxPool] = [:]
        var runtimePools: [String: SandboxPool] = [:]
        for (runtime, binary) in configuration.runtimeBinaries.sorted(by: { $0.key < $1.key }) where binary != configuration.nodeBinary {
            let pool =
                byBinary[binary]
                ?? SandboxPool(configuration: configuration.forBinary(binary), catalog: catalog, logger: logger)
            byBinary[binary] = pool
            runtimePools[runtime] = pool
        }
        self.runtimePools = runtimePools
    }

    /// The pool whose workers run actions of `runtime`.
    nonisolated func pool(forRuntime runtime: String?) -> SandboxPool {
        runtime.flatMap { runtimePools[$0] } ?? self
    }

    /// Starts every worker and waits until each has loaded the catalog.
    public func start() async throws {
        guard !started else { return }
        started = true
        // Node's permission model, which contains the workers, exists from Node 20 on.
        if FileManager.default.isExecutableFile(atPath: configuration.nodeBinary),
            let major = try? SandboxConfiguration.nodeMajorVersion(configuration.nodeBinary), major < 20
        {
            throw Failure.workerDidNotStart(
                "\(configuration.nodeBinary) is Node \(major); actions run only under Node ≥ 20, whose permission model contains them")
        }
        var startedPools: Set<ObjectIdentifier> = []
        for pool in runtimePools.values where startedPools.insert(ObjectIdentifier(pool)).inserted {
            try await pool.start()
        }
        try await withThrowingTaskGroup(of: SandboxWorker.self) { group in
            for _ in 0..<configuration.workers {
                let id = takeWorkerID()
                group.addTask { try await Self.spawn(id: id, configuration: self.configuration, catalog: self.catalogFrame) }
            }
            for try await worker in group { checkin(worker) }
        }
    }

    public var workerCount: Int { idle.count }

    /// How many warm-up flows each idle worker ran before it took traffic.
    var idleWorkersWarmUp: [Int] { idle.map(\.warmedUpFlows) }

    /// Runs one flow. Never throws for what happens inside the sandbox: a timeout, a crash or a
    /// runner refusal comes back as a failed `FlowResult` with the error classified.
    ///
    /// Only taking and returning a worker happen on the actor; encoding, the round trip and
    /// decoding run outside it, so flows on different workers proceed in parallel.
    public nonisolated func run(_ request: FlowRequest) async throws -> FlowResult {
        if runtimePools.isEmpty || request.actions.allSatisfy({ pool(forRuntime: $0.runtime) === self }) {
            return try await runOnWorker(request)
        }
        return try await runInParts(request)
    }

    /// A flow whose actions use different Node binaries runs as consecutive parts, one per
    /// binary: each part hands the next what its last action left (`PROTOCOL.md` §5, `state`),
    /// within what is left of the flow's budget.
    nonisolated func runInParts(_ request: FlowRequest) async throws -> FlowResult {
        var parts: [(pool: SandboxPool, actions: [ActionSource])] = []
        for action in request.actions {
            let pool = pool(forRuntime: action.runtime)
            if let last = parts.last, last.pool === pool {
                parts[parts.count - 1].actions.append(action)
            } else {
                parts.append((pool, [action]))
            }
        }
        let clock = ContinuousClock.now
        var part = request
        var combined = FlowResult(status: .completed, actions: [])
        for (index, next) in parts.enumerated() {
            let elapsed = ContinuousClock.now - clock
            let elapsedMillis = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
            part.actions = next.actions
            part.handler = index == 0 ? request.handler : "execute"
            part.returnState = index < parts.count - 1 || request.returnState
            part.budgetMillis = max(1, request.budgetMillis - elapsedMillis)
            part.now = request.now + EpochMillis(elapsedMillis)
            let result = try await next.pool.runOnWorker(part)
            let offset = combined.actions.count
            combined.actions += result.actions
            combined.error = result.error
            combined.state = result.state
            guard result.status == .completed else {
                combined.status = result.status
                combined.suspended = result.suspended.map {
                    FlowResult.Suspension(action_index: $0.action_index + offset, method: $0.method, args: $0.args)
                }
                return combined
            }
            guard index < parts.count - 1 else { break }
            guard let state = result.state, let event = state["event"] else {
                combined.status = .failed
                combined.error = ActionError(
                    name: "PlatformError", message: "the sandbox worker did not return the flow's state", class: "platform_error")
                return combined
            }
            part.event = event
            part.transient = state["transient"]
            part.cache = [:]
            for (key, entry) in state["cache"]?.objectValue ?? [:] {
                if let value = entry["value"]?.stringValue, let expiresAt = entry["expires_at"]?.numberValue {
                    part.cache[key] = CacheEntry(value: value, expiresAt: EpochMillis(expiresAt))
                }
            }
        }
        if !request.returnState { combined.state = nil }
        return combined
    }

    /// Runs `request` on one worker of this pool.
    nonisolated func runOnWorker(_ request: FlowRequest) async throws -> FlowResult {
        let (worker, requestID) = try await checkoutForFlow()
        let frame = Data(request.frameBytes(id: requestID))
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

    /// Stops every worker, those of the other runtimes' pools too.
    public func shutdown() async {
        for pool in runtimePools.values { await pool.shutdown() }
        stopped = true
        for worker in idle { worker.shutdown() }
        idle.removeAll()
        for waiter in waiters { waiter.continuation.resume(throwing: Failure.stopped) }
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
        scheduleSurge(after: Self.surgeDelay)
        return try await withCheckedThrowingContinuation { waiters.append(($0, ContinuousClock.now)) }
    }

    private func checkin(_ worker: SandboxWorker) {
        if stopped {
            worker.shutdown()
        } else if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: worker)
        } else if extraWorkers > 0 {
            extraWorkers -= 1
            worker.shutdown()
        } else {
            idle.append(worker)
        }
    }

    /// When a flow has waited `surgeDelay` for a worker, every worker has been busy that long —
    /// perhaps with flows whose actions call back into this server and wait for a flow of their
    /// own, which would otherwise only end at their time budget. One more worker starts then (at
    /// most as many extra as configured); a worker retires as soon as it finds nobody waiting
    /// while the pool is above its size. Under ordinary load a flow waits milliseconds, and the
    /// pool keeps its configured size.
    private func scheduleSurge(after delay: Duration) {
        guard !surgePending, extraWorkers < configuration.workers else { return }
        surgePending = true
        Task {
            try? await Task.sleep(for: delay)
            await self.surge()
        }
    }

    private func surge() async {
        surgePending = false
        guard !stopped, let oldest = waiters.first, extraWorkers < configuration.workers else { return }
        let waited = ContinuousClock.now - oldest.since
        guard waited >= Self.surgeDelay else {
            scheduleSurge(after: Self.surgeDelay - waited)
            return
        }
        surgePending = true
        extraWorkers += 1
        do {
            let worker = try await Self.spawn(id: takeWorkerID(), configuration: configuration, catalog: catalogFrame)
            surgePending = false
            checkin(worker)
            if !waiters.isEmpty { scheduleSurge(after: .zero) }
        } catch {
            extraWorkers -= 1
            surgePending = false
            logger.error("cannot start an extra sandbox worker", metadata: ["error": "\(error)"])
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
                    self.checkin(fresh)
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
        worker.readied(frame)
        return worker
    }

    // MARK: - Results

    private static func decodeResult(_ data: Data) -> (flow: FlowResult, recycle: Bool)? {
        FlowResult.parse(runnerFrame: data)
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
