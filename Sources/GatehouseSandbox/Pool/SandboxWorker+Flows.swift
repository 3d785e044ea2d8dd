/// Flows sent to a worker, each action version's code only until the worker has compiled it
/// (`PROTOCOL.md` §4.1, §5 `missing_code`). Every flow would otherwise carry every bound
/// action's code, to be copied, written and parsed again: three actions of 8 KB each add about
/// 45 µs to a flow (`BENCHMARKS.md`, "code sent once per worker").
///
/// The record errs only towards sending code: a version counts as compiled once it ran in a
/// flow on this worker (a version listed in a request but never reached, because an earlier
/// action denied, may not be), and a worker that no longer has it (it evicted the module, or
/// the module's top level threw) answers `missing_code`, after which the whole request is sent
/// again with every action's code.
extension SandboxWorker {
    /// Sends `request` as the flow `id` and reads its result; `nil` for an answer that is not
    /// one. Versions this worker has compiled go without their code; if it no longer has one,
    /// it runs nothing and says so, and the request goes again with all the code
    /// (`PROTOCOL.md` §5, `missing_code`).
    func run(
        _ request: FlowRequest, id: Int, timeout: Duration, callerMayWait: Bool = true
    ) async throws -> (flow: FlowResult, recycle: Bool)? {
        let withoutCode = request.actions.map(hasCompiled)
        let reply = try await exchange(request.frameBytes(id: id) { withoutCode[$0] }, timeout: timeout, callerMayWait: callerMayWait)
        var result = FlowResult.parse(runnerFrame: reply, answering: id)
        if result == nil, withoutCode.contains(true), FlowResult.isMissingCode(reply, answering: id) {
            forgetCompiledVersions()
            let again = try await exchange(request.frameBytes(id: id), timeout: timeout, callerMayWait: callerMayWait)
            result = FlowResult.parse(runnerFrame: again, answering: id)
        }
        if let result { recordCompiled(request.actions.prefix(result.flow.actions.count)) }
        return result
    }

    /// Bounds the record like the runner bounds its modules (`lib/loader.js`, `MAX_ENTRIES`: 100,
    /// since each version has a V8 context of its own, about 240 KB); past it the record starts
    /// afresh.
    static let compiledVersionsLimit = 100

    /// Whether `action` may go without its code: this worker ran exactly this version.
    func hasCompiled(_ action: ActionSource) -> Bool {
        compiledVersions[action.versionID]?.compiles(like: action) ?? false
    }

    /// Records the versions of `actions` as compiled (they ran on this worker).
    private func recordCompiled(_ actions: ArraySlice<ActionSource>) {
        for action in actions where !hasCompiled(action) {
            if compiledVersions.count >= Self.compiledVersionsLimit { compiledVersions.removeAll() }
            compiledVersions[action.versionID] = action
        }
    }

    /// Forgets every version: the worker said it lacks one it was believed to have.
    private func forgetCompiledVersions() {
        compiledVersions.removeAll()
    }
}
