import Foundation
import GatehouseCore

#if canImport(Glibc)
    import Glibc
#endif

/// Who is to blame when a worker ends in the middle of a flow, and what is done about action
/// versions that keep ending theirs (`docs/SECURITY.md`, "One action cannot harm the others").
///
/// - The action's doing — its memory (V8's heap cap, the OS data limit), a crash it provoked:
///   that action failed (`action_error`), and the crash counts towards its quarantine. The
///   action is the version the worker's runner recorded as running (`BlameRecord`), never what
///   the dying worker printed (an action can print a stack naming another). When the recorded
///   version is not one of the flow's — a timer it left running ended the worker during a later
///   flow — that version is counted, and the flow, whose actions did nothing wrong, failed for
///   the platform (`platform_error`: try again). When nothing was recorded (the worker died
///   before the flow's first action), every action of the flow is counted.
/// - A signal no action can send (actions cannot signal processes), or no worker to be had: the
///   platform failed (`platform_error`), and the caller may try again.
///
/// A version that ended workers `Quarantine.crashLimit` times within `Quarantine.window` is
/// quarantined on this instance for its cool-down (`SandboxConfiguration.quarantineCoolDown`, 5
/// minutes), or until other code is deployed under it: its flows fail at once with a clear
/// error and take no worker down.
struct Quarantine {
    static let crashLimit = 3
    static let window: Duration = .seconds(60)
    static let defaultCoolDown: Duration = .seconds(300)
    var coolDown: Duration = Quarantine.defaultCoolDown

    struct Entry {
        var crashes: [ContinuousClock.Instant] = []
        /// The code that crashed (its hash): other code under the same version id (an edited
        /// draft under test) is not quarantined.
        var codeHash: Int
        var until: ContinuousClock.Instant?
    }

    private(set) var entries: [String: Entry] = [:]
    /// Whether any version is quarantined: the check every flow makes costs nothing otherwise.
    var isEmpty: Bool { entries.values.allSatisfy { $0.until == nil } }

    /// The quarantined action of `actions`, with the instant its quarantine ends.
    mutating func quarantined(in actions: [ActionSource], at now: ContinuousClock.Instant) -> (Int, ContinuousClock.Instant)? {
        for (index, action) in actions.enumerated() {
            guard let entry = entries[action.versionID], let until = entry.until else { continue }
            if until <= now {
                entries[action.versionID] = nil
            } else if entry.codeHash == action.code.hashValue {
                return (index, until)
            }
        }
        return nil
    }

    /// Counts a crash of `action`; returns the end of its quarantine when this crash starts one.
    mutating func recordCrash(of action: ActionSource, at now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let hash = action.code.hashValue
        var entry = entries[action.versionID].flatMap { $0.codeHash == hash ? $0 : nil } ?? Entry(codeHash: hash)
        entry.crashes = entry.crashes.filter { now - $0 < Self.window } + [now]
        if entry.crashes.count >= Self.crashLimit {
            entry.until = now + coolDown
            entry.crashes = []
        }
        entries[action.versionID] = entry
        return entry.until
    }
}

extension SandboxPool {
    /// Signals that only something outside the sandbox can send: a worker ended by one was killed,
    /// it did not crash. (`SIGABRT`, `SIGTRAP`, `SIGSEGV`, `SIGILL`, `SIGBUS` are how V8 and Node
    /// end a process that ran out of memory or crashed: the action's doing.)
    static let outsideSignals: Set<Int32> = [SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM]

    /// A failed result for a flow with a quarantined action, without running it; `nil` to run it.
    func quarantineRefusal(_ request: FlowRequest) -> FlowResult? {
        let found = state.withLock { state -> (Int, ContinuousClock.Instant)? in
            guard !state.quarantine.isEmpty else { return nil }
            return state.quarantine.quarantined(in: request.actions, at: .now)
        }
        guard let (index, until) = found else { return nil }
        let left = until - .now
        let seconds = max(1, left.components.seconds + (left.components.attoseconds > 0 ? 1 : 0))  // rounded up
        var result = FlowResult(
            status: .failed, actions: [],
            error: ActionError(
                name: "QuarantinedError",
                message: "The action '\(request.actions[index].name)' is quarantined on this server: it ended its sandbox worker "
                    + "\(Quarantine.crashLimit) times within \(Quarantine.window.components.seconds) s. Deploy a fixed version, "
                    + "or wait \(seconds) s.",
                class: "action_error"))
        result.failedActionIndex = index
        return result
    }

    /// The result of a flow whose worker did not answer, with the blame placed as described on
    /// `Quarantine`. `compiled` is what the worker had been sent, by version id: where the code of
    /// a culprit outside the flow comes from.
    func failure(for error: any Error, request: FlowRequest, compiled: [String: ActionSource] = [:]) -> FlowResult {
        switch error {
        case SandboxWorker.Failure.timedOut:
            return FlowResult(
                status: .failed, actions: [],
                error: ActionError(
                    name: "TimeoutError",
                    message: "The flow did not finish within its \(request.budgetMillis) ms budget; its worker was stopped.",
                    class: "action_timeout"))
        case SandboxWorker.Failure.exited(let status, let signaled, _, _) where signaled && Self.outsideSignals.contains(status):
            logger.error("sandbox worker was killed from outside during a flow", metadata: ["signal": "\(status)"])
            return Self.platformFailure("The sandbox worker running the flow was stopped from outside (signal \(status)).")
        case SandboxWorker.Failure.exited(let status, let signaled, let diagnostics, let running):
            return blame(request, status: status, signaled: signaled, diagnostics: diagnostics, running: running, compiled: compiled)
        default:
            return Self.platformFailure("The sandbox could not run the flow: \(error)")
        }
    }

    /// Rewrites V8's "Array buffer allocation failed" in `flow`'s action errors to name the
    /// worker's memory limit; whether there was one (the worker, whose memory is exhausted, is
    /// then replaced).
    static func nameMemoryLimit(in flow: inout FlowResult, megabytes: Int) -> Bool {
        var found = false
        for index in flow.actions.indices {
            guard let error = flow.actions[index].error, error.message.contains("Array buffer allocation failed") else { continue }
            flow.actions[index].error?.message =
                "\(error.message): the action reached the memory limit of its sandbox worker (\(megabytes) MB); the worker was replaced."
            found = true
        }
        return found
    }

    public static func platformFailure(_ message: String) -> FlowResult {
        FlowResult(status: .failed, actions: [], error: ActionError(name: "PlatformError", message: message, class: "platform_error"))
    }

    private func blame(
        _ request: FlowRequest, status: Int32, signaled: Bool, diagnostics: String, running: String?, compiled: [String: ActionSource]
    ) -> FlowResult {
        let inFlow = running.flatMap { version in request.actions.firstIndex { $0.versionID == version } }
        // A version outside the flow: its leftover work ended the worker during this flow.
        let outsider = inFlow == nil ? running.flatMap { compiled[$0] } : nil
        // Nothing recorded (the worker died before the flow's first action): the whole flow.
        let culprits = inFlow.map { [request.actions[$0]] } ?? outsider.map { [$0] } ?? (running == nil ? request.actions : [])
        let heap = diagnostics.contains("heap out of memory") || diagnostics.contains("Reached heap limit")
        let offHeap = !heap && (diagnostics.contains("out of memory") || diagnostics.contains("Allocation failed"))
        let now = ContinuousClock.now
        let quarantined = state.withLock { state in
            culprits.filter { state.quarantine.recordCrash(of: $0, at: now) != nil }
        }
        for action in quarantined {
            logger.warning(
                "action quarantined: it ended its sandbox worker too often",
                metadata: [
                    "action": "\(action.name)", "version_id": "\(action.versionID)",
                    "cool_down_s": "\(configuration.quarantineCoolDown.components.seconds)",
                ])
        }
        logger.warning(
            "an action ended its sandbox worker",
            metadata: [
                "status": "\(status)", "signaled": "\(signaled)", "actions": "\(culprits.map(\.name))",
                "version_id": "\(running ?? "none recorded")", "in_flow": "\(running == nil || inFlow != nil)",
            ])
        if running != nil && inFlow == nil {
            return Self.platformFailure(
                "The sandbox worker running this flow was ended by work another flow's action had left running; "
                    + "this flow's actions are not to blame. Try again.")
        }
        let who = inFlow.map { "The action '\(request.actions[$0].name)'" } ?? "An action of this flow"
        let how =
            heap
            ? "ran out of memory (the heap limit is \(configuration.heapMegabytes) MB)"
            : offHeap
                ? "ran out of memory (the memory limit is \(configuration.memoryMegabytes) MB per worker)"
                : "ended its sandbox worker (\(signaled ? "signal" : "exit status") \(status))"
        var result = FlowResult(
            status: .failed, actions: [],
            error: ActionError(
                name: heap || offHeap ? "MemoryLimitError" : "WorkerCrashError", message: "\(who) \(how); the worker was replaced.",
                class: "action_error"))
        result.failedActionIndex = inFlow
        return result
    }
}
