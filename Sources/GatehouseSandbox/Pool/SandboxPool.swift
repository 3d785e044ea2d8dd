import CGatehouseSystem
import Foundation
import GatehouseCore
import Logging
import Synchronization

/// A pool of warm runner workers. Each flow takes one worker for its whole duration; a worker
/// that overruns the flow budget is killed and replaced, one that crashes is replaced, and the
/// pool stays at full strength (`DESIGN.md`, "The sandbox").
///
/// The pool's bookkeeping (idle workers, flows waiting for one) sits behind a mutex rather than
/// in an actor: taking and returning a worker are a few array operations, and two executor hops
/// per flow cost more than the lock (`BENCHMARKS.md`, "the caller's own wait"). Nothing
/// waits while holding it; continuations are resumed and workers stopped after it is released.
public final class SandboxPool: Sendable {
    public let configuration: SandboxConfiguration
    /// The catalog the `init` frame carries (`initFrame(for:)`).
    let catalogJSON: JSONValue
    /// The sample event of each trigger a new worker warms up on (`warmedTriggers`); empty
    /// without a warm-up.
    let warmUpEvents: [String: JSONValue]
    let logger: Logger
    let state = Mutex(State())

    struct State {
        var idle: [SandboxWorker] = []
        var waiters: [(continuation: CheckedContinuation<SandboxWorker, any Error>, since: ContinuousClock.Instant)] = []
        var nextWorkerID = 0
        var nextRequestID = 0
        var started = false
        var stopped = false
        /// Workers started beyond `configuration.workers` because flows kept waiting (see `surge`).
        var extraWorkers = 0
        /// Replacements being started (`replace`); no surge meanwhile.
        var replacing = 0
        var surgePending = false
        /// Action versions that keep ending their workers (`SandboxPool+Blame.swift`).
        var quarantine = Quarantine()
    }

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
    let runtimePools: [String: SandboxPool]

    public init(configuration: SandboxConfiguration, catalog: TriggerCatalog, logger: Logger) {
        self.configuration = configuration
        self.catalogJSON = catalog.runnerJSON
        state.withLock { $0.quarantine.coolDown = configuration.quarantineCoolDown }
        var warmUpEvents: [String: JSONValue] = [:]
        if configuration.warmUpFlows > 0, let samples = try? SampleEvents.bundled() {
            for trigger in Self.warmedTriggers { warmUpEvents[trigger] = try? samples.event(for: trigger) }
        }
        self.warmUpEvents = warmUpEvents
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
    func pool(forRuntime runtime: String?) -> SandboxPool {
        runtime.flatMap { runtimePools[$0] } ?? self
    }

    /// Starts every worker and waits until each has loaded the catalog. A start that fails
    /// leaves the pool unstarted, with no worker: flows that were waiting for one fail with the
    /// same error, and the next flow tries to start the pool again.
    public func start() async throws {
        let isFirstStart = state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        guard isFirstStart else { return }
        do {
            try await startWorkers()
        } catch {
            let (idle, waiters) = state.withLock { state in
                state.started = false
                defer {
                    state.idle = []
                    state.waiters = []
                }
                return (state.idle, state.waiters)
            }
            for worker in idle { worker.shutdown() }
            for waiter in waiters { waiter.continuation.resume(throwing: error) }
            throw error
        }
    }

    private func startWorkers() async throws {
        // Workers of the server's own user (when it is not root) must not read its /proc files
        // (environment, memory), whatever the permission model lets through.
        if gatehouse_set_undumpable() != 0 {
            logger.warning("could not make the server undumpable: its /proc files stay readable by processes of its user")
        }
        for warning in try configuration.prepareBundlesDirectory() { logger.warning("\(warning)") }
        for finding in await DependencyInstaller(configuration: configuration).recheckBundles() { logger.error("\(finding)") }
        if SandboxConfiguration.findExecutable("prlimit") == nil {
            logger.warning(
                "prlimit (util-linux) is not on the PATH: Actions workers run without an OS memory limit, so Buffers are not capped")
        }
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
        // Every worker that starts is checked in, even when another fails: `start()` then
        // retires them rather than leaving their processes behind.
        let failure = await withTaskGroup(of: Result<SandboxWorker, any Error>.self) { group in
            for _ in 0..<configuration.workers {
                let id = takeWorkerID()
                group.addTask {
                    do {
                        return .success(try await self.spawn(id: id, whileServing: false))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var failure: (any Error)?
            for await started in group {
                switch started {
                case .success(let worker): checkin(worker)
                case .failure(let error): failure = failure ?? error
                }
            }
            return failure
        }
        if let failure { throw failure }
    }

    /// Idle workers: all of them while no flow runs.
    public var workerCount: Int { state.withLock { $0.idle.count } }

    /// The process ids of the idle workers.
    var idleWorkerProcessIDs: [Int32] { state.withLock { $0.idle.map(\.processID) } }

    /// How many warm-up flows each idle worker ran before it took traffic.
    var idleWorkersWarmUp: [Int] { state.withLock { $0.idle.map(\.warmedUpFlows) } }

    /// Runs one flow. Never throws for what happens inside the sandbox: a timeout, a crash or a
    /// runner refusal comes back as a failed `FlowResult` with the error classified.
    ///
    /// Only taking and returning a worker happen under the pool's lock; encoding, the round trip
    /// and decoding run outside it, so flows on different workers proceed in parallel.
    public func run(_ request: FlowRequest) async throws -> FlowResult {
        if runtimePools.isEmpty || request.actions.allSatisfy({ pool(forRuntime: $0.runtime) === self }) {
            return try await runOnWorker(request)
        }
        return try await runInParts(request)
    }

    /// A flow whose actions use different Node binaries runs as consecutive parts, one per
    /// binary: each part hands the next what its last action left (`PROTOCOL.md` §5, `state`),
    /// within what is left of the flow's budget.
    func runInParts(_ request: FlowRequest) async throws -> FlowResult {
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
        var firstActionOfPart = 0
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
            combined.failedActionIndex = result.failedActionIndex.map { $0 + firstActionOfPart }
            combined.state = result.state
            firstActionOfPart += next.actions.count
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
    func runOnWorker(_ request: FlowRequest) async throws -> FlowResult {
        if let refusal = quarantineRefusal(request) { return refusal }
        if !state.withLock({ $0.started }) { try await start() }
        let worker = try await checkout()
        let requestID = state.withLock { state in
            state.nextRequestID += 1
            return state.nextRequestID
        }
        let parsed: (flow: FlowResult, recycle: Bool)?
        do {
            parsed = try await worker.run(request, id: requestID, timeout: timeout(for: request))
        } catch {
            replace(worker)
            return failure(for: error, request: request, compiled: worker.compiledVersions)
        }
        guard let result = parsed else {
            logger.error("sandbox worker broke the protocol; replacing it", metadata: ["worker": "\(worker.id)"])
            replace(worker)
            return FlowResult(
                status: .failed, actions: [],
                error: ActionError(
                    name: "PlatformError", message: "the sandbox worker answered with an invalid frame", class: "platform_error"))
        }
        var flow = result.flow
        // An allocation past the OS memory limit fails inside the action; the worker, whose
        // memory is then exhausted, is replaced.
        let hitMemoryLimit = Self.nameMemoryLimit(in: &flow, megabytes: configuration.memoryMegabytes)
        if result.recycle || hitMemoryLimit { replace(worker) } else { checkin(worker) }
        return flow
    }

    /// Stops every worker, those of the other runtimes' pools too.
    public func shutdown() async {
        for pool in runtimePools.values { await pool.shutdown() }
        let (idle, waiters) = state.withLock { state in
            state.stopped = true
            defer {
                state.idle.removeAll()
                state.waiters.removeAll()
            }
            return (state.idle, state.waiters)
        }
        for worker in idle { worker.shutdown() }
        for waiter in waiters { waiter.continuation.resume(throwing: Failure.stopped) }
    }
}
