/// Which action versions a worker has compiled, so that a request sends a version's code only
/// until the worker has it (`PROTOCOL.md` §4, §5 `missing_code`). Every flow would otherwise
/// carry every bound action's code, to be copied, written and parsed again: three actions of
/// 8 KB each add about 45 µs to a flow (`BENCHMARKS.md`, "code sent once per worker").
///
/// The record errs only towards sending code: a version counts as compiled once it ran in a
/// flow on this worker (a version listed in a request but never reached, because an earlier
/// action denied, may not be), and a worker that no longer has it (it evicted the module, or
/// the module's top level threw) answers `missing_code`, after which the whole request is sent
/// again with every action's code.
extension SandboxWorker {
    /// Bounds the record like the runner bounds its modules (`lib/loader.js`); past it the
    /// record starts afresh.
    static let compiledVersionsLimit = 1_000

    /// Whether `action` may go without its code: this worker ran exactly this version.
    func hasCompiled(_ action: ActionSource) -> Bool {
        compiledVersions[action.versionID]?.compiles(like: action) ?? false
    }

    /// Records the versions of `actions` as compiled (they ran on this worker).
    func recordCompiled(_ actions: ArraySlice<ActionSource>) {
        for action in actions where !hasCompiled(action) {
            if compiledVersions.count >= Self.compiledVersionsLimit { compiledVersions.removeAll() }
            compiledVersions[action.versionID] = action
        }
    }

    /// Forgets every version: the worker said it lacks one it was believed to have.
    func forgetCompiledVersions() {
        compiledVersions.removeAll()
    }
}
