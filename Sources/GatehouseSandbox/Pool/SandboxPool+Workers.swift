import Foundation
import GatehouseCore

extension SandboxPool {
    func takeWorkerID() -> Int {
        state.withLock { state in
            state.nextWorkerID += 1
            return state.nextWorkerID
        }
    }

    /// An idle worker, or the next one returned when all are busy.
    func checkout() async throws -> SandboxWorker {
        switch state.withLock({ $0.takeIdle() }) {
        case .worker(let worker): return worker
        case .stopped: throw Failure.stopped
        case .none: break
        }
        return try await withCheckedThrowingContinuation { continuation in
            let taken = state.withLock { state in
                let taken = state.takeIdle()
                if case .none = taken { state.waiters.append((continuation, ContinuousClock.now)) }
                return taken
            }
            switch taken {
            case .worker(let worker): continuation.resume(returning: worker)
            case .stopped: continuation.resume(throwing: Failure.stopped)
            case .none: scheduleSurge(after: Self.surgeDelay)
            }
        }
    }

    /// Hands `worker` to the longest-waiting flow, or back to the idle list.
    func checkin(_ worker: SandboxWorker) {
        enum Next: Sendable {
            case waiter(CheckedContinuation<SandboxWorker, any Error>)
            case retire
            case idle
        }
        let next = state.withLock { state -> Next in
            // Stopped, or its start failed while this worker served a flow (`start()`).
            if state.stopped || !state.started { return .retire }
            if !state.waiters.isEmpty { return .waiter(state.waiters.removeFirst().continuation) }
            if state.extraWorkers > 0 {
                state.extraWorkers -= 1
                return .retire
            }
            state.idle.append(worker)
            return .idle
        }
        switch next {
        case .waiter(let continuation): continuation.resume(returning: worker)
        case .retire: worker.shutdown()
        case .idle: break
        }
    }

    /// When a flow has waited `surgeDelay` for a worker, every worker has been busy that long —
    /// perhaps with flows whose actions call back into this server and wait for a flow of their
    /// own, which would otherwise only end at their time budget. One more worker starts then (at
    /// most as many extra as configured); a worker retires as soon as it finds nobody waiting
    /// while the pool is above its size. Under ordinary load a flow waits milliseconds, and the
    /// pool keeps its configured size.
    func scheduleSurge(after delay: Duration) {
        let schedule = state.withLock { state in
            guard !state.surgePending, state.extraWorkers < configuration.workers else { return false }
            state.surgePending = true
            return true
        }
        guard schedule else { return }
        Task {
            try? await Task.sleep(for: delay)
            await self.surge()
        }
    }

    private func surge() async {
        enum Decision: Sendable {
            case nothing
            case later(Duration)
            case spawn
        }
        let decision = state.withLock { state -> Decision in
            state.surgePending = false
            guard !state.stopped, let oldest = state.waiters.first, state.extraWorkers < configuration.workers else { return .nothing }
            // Flows wait for a replacement, not for busy workers: look again once it is in.
            guard state.replacing == 0 else { return .later(Self.surgeDelay) }
            let waited = ContinuousClock.now - oldest.since
            guard waited >= Self.surgeDelay else { return .later(Self.surgeDelay - waited) }
            state.surgePending = true
            state.extraWorkers += 1
            return .spawn
        }
        switch decision {
        case .nothing: return
        case .later(let delay):
            scheduleSurge(after: delay)
            return
        case .spawn: break
        }
        do {
            let worker = try await spawn(id: takeWorkerID(), whileServing: true)
            state.withLock { $0.surgePending = false }
            checkin(worker)
            if state.withLock({ !$0.waiters.isEmpty }) { scheduleSurge(after: .zero) }
        } catch {
            state.withLock { state in
                state.extraWorkers -= 1
                state.surgePending = false
            }
            logger.error("cannot start an extra sandbox worker", metadata: ["error": "\(error)"])
        }
    }

    /// Retires `worker` and starts a fresh one in the background; flows waiting meanwhile get
    /// the other workers, or the fresh one as soon as it has started (`warmUp`). No surge worker
    /// is started while a replacement is (`surge`): flows then wait for the replacement, not for
    /// busy workers, and on two cores an extra start would only slow it down.
    func replace(_ worker: SandboxWorker) {
        worker.kill()
        guard !isStopped else { return }
        let id = takeWorkerID()
        state.withLock { $0.replacing += 1 }
        Task {
            defer { self.state.withLock { $0.replacing -= 1 } }
            while !self.isStopped {
                do {
                    let fresh = try await self.spawn(id: id, whileServing: true)
                    self.checkin(fresh)
                    return
                } catch {
                    self.logger.error("cannot start a sandbox worker; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// How long a worker has to answer `request`: its budget, plus the grace the runner needs to
    /// report an overrun itself before the worker is killed.
    func timeout(for request: FlowRequest) -> Duration {
        .milliseconds(request.budgetMillis + configuration.graceMillis)
    }

    /// A worker's `init` frame, newline included: the catalog, and the nonce of its blame record
    /// (on stdin, which action code cannot read).
    func initFrame(for worker: SandboxWorker) -> [UInt8] {
        JSONValue.object(["type": "init", "catalog": catalogJSON, "blame_nonce": .string(worker.blameRecord.nonce)]).jsonData() + [0x0A]
    }

    /// Starts a worker, sends it the catalog, and warms it up. `whileServing`: flows are being
    /// served meanwhile (an extra or replacement worker), so the warm-up must not hold a thread
    /// of the cooperative pool.
    func spawn(id: Int, whileServing: Bool) async throws -> SandboxWorker {
        guard FileManager.default.isExecutableFile(atPath: configuration.nodeBinary) else {
            throw Failure.nodeMissing(configuration.nodeBinary)
        }
        let worker = try SandboxWorker(id: id, launch: configuration.launch(), callerWait: configuration.callerWait)
        do {
            let reply = try await worker.exchange(initFrame(for: worker))
            guard let frame = JSONValue(jsonData: reply), frame["type"] == "ready" else {
                throw Failure.workerDidNotStart(String(decoding: reply.prefix(500), as: UTF8.self))
            }
            try await warmUp(worker, actions: frame["warm_up_actions"], whileServing: whileServing)
        } catch {
            worker.kill()
            throw error as? Failure ?? Failure.workerDidNotStart("\(error)")
        }
        return worker
    }

    /// Runs `configuration.warmUpFlows` flows (fewer while serving: `warmUpFlows(_:whileServing:)`) per warmed trigger on a new `worker`, on the
    /// bundled sample events, with the warm-up actions its `ready` frame listed (`Runner/lib/warmup.js`),
    /// and drops their results. They are ordinary flow requests over the worker's stdin, so
    /// V8 optimises what real requests run, the socket read and the answer's write included,
    /// before the worker takes traffic (`BENCHMARKS.md`, "The first flows after a start").
    /// `whileServing`, each wait goes to the worker's reader thread, which frees the caller's
    /// thread for the flows being served (and makes the warm-up about twice as long).
    func warmUp(_ worker: SandboxWorker, actions: JSONValue?, whileServing: Bool) async throws {
        guard configuration.warmUpFlows > 0 else { return }
        var requests: [FlowRequest] = []
        for trigger in Self.warmedTriggers {
            guard let event = warmUpEvents[trigger], let listed = actions?[trigger]?.arrayValue else { continue }
            let sources = listed.compactMap { action -> ActionSource? in
                guard let name = action["name"]?.stringValue, let version = action["version_id"]?.stringValue,
                    let code = action["code"]?.stringValue
                else { return nil }
                return ActionSource(
                    name: name, versionID: version, code: code,
                    secrets: action["secrets"]?.objectValue?.compactMapValues(\.stringValue) ?? [:])
            }
            if !sources.isEmpty { requests.append(FlowRequest(trigger: trigger, event: event, actions: sources)) }
        }
        guard !requests.isEmpty else { return }
        let flows = Self.warmUpFlows(configuration.warmUpFlows, whileServing: whileServing) * requests.count
        var warmed = 0
        while warmed < flows {
            // A flow waiting for a worker is served cold rather than kept waiting: with every
            // worker gone, no login completes until this one checks in.
            if whileServing && state.withLock({ !$0.waiters.isEmpty }) { break }
            let request = requests[warmed % requests.count]
            guard try await worker.run(request, id: warmed + 1, timeout: timeout(for: request), callerMayWait: !whileServing) != nil
            else {
                throw Failure.workerDidNotStart("a warm-up flow was answered with an invalid frame")
            }
            warmed += 1
        }
        worker.warmedUpFlows = warmed
    }
}

extension SandboxPool {
    /// Warm-up flows per trigger for a new worker. One that starts while flows are being served
    /// (a replacement for a worker an action ended, an extra one) runs a tenth of them, at least
    /// 100, and stops as soon as a flow waits for a worker (`warmUp`): it is needed now — with
    /// every worker gone, no login completes until one is ready — and 2,000 flows per trigger
    /// take over a second when the waits are handed over.
    static func warmUpFlows(_ configured: Int, whileServing: Bool) -> Int {
        whileServing ? max(configured / 10, min(configured, 100)) : configured
    }
}

extension SandboxPool.State {
    enum Taken: Sendable {
        case worker(SandboxWorker)
        case stopped
        case none
    }

    mutating func takeIdle() -> Taken {
        if stopped { return .stopped }
        if let worker = idle.popLast() { return .worker(worker) }
        return .none
    }
}
