import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How the sandbox runs: which Node.js, how many workers, what limits.
public struct SandboxConfiguration: Sendable {
    /// The `node` binary for the default runtime.
    public var nodeBinary: String
    /// Worker processes; defaults to the number of cores.
    public var workers: Int
    /// V8 heap cap per worker (`--max-old-space-size`).
    public var heapMegabytes: Int
    /// Extra time after a flow's budget before the worker is killed from outside.
    public var graceMillis: Int
    /// Where installed dependency bundles live; workers may read below it. Readable by the
    /// server's user only (and the workers' group when the server is root); see
    /// `defaultBundlesDirectory` for why it is not a fixed path in the temporary directory.
    public var bundlesDirectory: String
    /// Which dependency specs tenants may declare (`GATEHOUSE_ACTIONS_DEPENDENCY_SOURCES`).
    public var dependencySources: DependencySources = .registryOnly
    /// The npm registry dependencies come from (`GATEHOUSE_NPM_REGISTRY`); `nil` uses npm's
    /// global configuration.
    public var npmRegistry: String?
    /// The OS limit on each worker's writable memory (`RLIMIT_DATA`, through `prlimit`), which
    /// covers what the V8 heap cap does not: `Buffer`s and other off-heap allocations. An
    /// allocation past it fails inside the action (`GATEHOUSE_SANDBOX_MEMORY_MB`). An
    /// address-space limit would break V8, which reserves large ranges up front.
    public var memoryMegabytes: Int = SandboxConfiguration.defaultMemoryMegabytes
    /// 512 MB: the 128 MB heap, Node's own ~50 MB, and room for an action's buffers.
    public static let defaultMemoryMegabytes = 512
    /// The directory holding `runner.js` (the SwiftPM resource by default).
    public var runnerDirectory: String
    /// When the server runs as root, workers drop to this user id (65534, `nobody`) with `setpriv`.
    public var unprivilegedUserID: Int
    /// Runtime names (`node18`, `node20`, `node22`) with a Node binary of their own; the others
    /// run on `nodeBinary` (`GATEHOUSE_NODE_RUNTIMES`).
    public var runtimeBinaries: [String: String]
    /// Flows the pool runs on each new worker per warmed trigger (post-login,
    /// credentials-exchange) before it takes traffic, with the runner's warm-up actions
    /// (`PROTOCOL.md` §2, `ready.warm_up_actions`), so that V8 has optimised the runner's hot
    /// paths first. 0 starts workers cold, in about 0.3 s (a worker loads and freezes every core
    /// module before `ready`).
    public var warmUpFlows: Int
    /// What the server uses (`GATEHOUSE_SANDBOX_WARMUP_FLOWS`): a pool of two workers starts in
    /// 1.6–1.9 s on this project's 2-core machine, and the p99 of the first thousands of flows after a start
    /// falls from ~2.5 ms to a few hundred µs (`BENCHMARKS.md`).
    public static let defaultWarmUpFlows = 2_000
    /// How long a flow's caller waits for the answer on its own thread before handing the wait
    /// to the worker's reader thread (see `SandboxWorker`): the receive timeout of the worker's
    /// stdout, which the kernel rounds up to whole scheduler ticks (about 8 ms with
    /// `CONFIG_HZ=250`). Only a flow busy computing waits that long: one waiting for I/O or
    /// timers is handed over at the runner's waiting mark, and a short one is answered first.
    /// `.zero` always hands the wait over at once (two more thread wake-ups per flow). The server
    /// reads it from `GATEHOUSE_SANDBOX_CALLER_WAIT_MS`.
    public var callerWait: Duration = .milliseconds(1)
    /// How long an action version that kept ending its worker stays quarantined on this instance
    /// (`Quarantine`), unless other code is deployed under it first.
    public var quarantineCoolDown: Duration = Quarantine.defaultCoolDown

    public init(
        nodeBinary: String? = nil, workers: Int? = nil, heapMegabytes: Int = 128,
        graceMillis: Int = 1000, bundlesDirectory: String? = nil, runnerDirectory: String? = nil,
        unprivilegedUserID: Int = 65_534, runtimeBinaries: [String: String] = [:], warmUpFlows: Int = 0
    ) {
        self.warmUpFlows = max(0, warmUpFlows)
        self.runtimeBinaries = runtimeBinaries
        let node = nodeBinary ?? Self.findExecutable("node") ?? "/usr/bin/node"
        self.nodeBinary = node
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.heapMegabytes = heapMegabytes
        self.graceMillis = graceMillis
        self.bundlesDirectory = bundlesDirectory ?? Self.defaultBundlesDirectory()
        self.runnerDirectory = runnerDirectory ?? RunnerResources.directory
        self.unprivilegedUserID = unprivilegedUserID
    }

    /// The Node binary that runs actions of `runtime`.
    public func binary(forRuntime runtime: String?) -> String {
        runtime.flatMap { runtimeBinaries[$0] } ?? nodeBinary
    }

    /// This configuration for the workers of one runtime binary.
    func forBinary(_ binary: String) -> SandboxConfiguration {
        var configuration = self
        configuration.nodeBinary = binary
        configuration.runtimeBinaries = [:]
        return configuration
    }

    /// Node ≥ 22 spells the permission flag `--permission`; Node 20 `--experimental-permission`.
    func permissionFlag() -> String {
        let version = (try? Self.nodeMajorVersion(nodeBinary)) ?? 20
        return version >= 22 ? "--permission" : "--experimental-permission"
    }

    func launch() throws -> SandboxLaunch {
        try node(["--max-old-space-size=\(heapMegabytes)", "\(runnerDirectory)/runner.js"])
    }

    /// The group id workers run with when the server is root (`nobody`'s), which may read the
    /// bundles; `nil` when workers share the server's user.
    public var workerGroupID: UInt32? { geteuid() == 0 ? UInt32(unprivilegedUserID) : nil }
    /// `workerGroupID` of the default configuration (`nobody`'s group, 65534, under root).
    public static var defaultWorkerGroupID: UInt32? { geteuid() == 0 ? 65_534 : nil }

    /// `node` with `arguments`, under the permission model (reads of the runner and the bundles
    /// only), under the memory limit (`prlimit`), and, when the server is root, started through
    /// `setpriv` as an unprivileged user; root without `setpriv` starts nothing.
    func node(_ arguments: [String]) throws -> SandboxLaunch {
        // A trailing slash: Node's permission model then allows the directory's contents.
        var arguments = [permissionFlag(), "--allow-fs-read=\(runnerDirectory)", "--allow-fs-read=\(bundlesDirectory)/"] + arguments
        var executable = nodeBinary
        if geteuid() == 0 {
            // Root must not run tenant code: drop every privilege before exec'ing node.
            guard let setpriv = Self.findExecutable("setpriv") else {
                throw SandboxPool.Failure.workerDidNotStart(
                    "the server runs as root and setpriv (util-linux) is not on the PATH, so actions would run as root: "
                        + "install util-linux, or run the server as a user of its own")
            }
            arguments =
                [
                    "--reuid=\(unprivilegedUserID)", "--regid=\(unprivilegedUserID)", "--clear-groups", "--no-new-privs",
                    "--inh-caps=-all", "--", nodeBinary,
                ] + arguments
            executable = setpriv
        }
        if let prlimit = Self.findExecutable("prlimit") {
            let bytes = memoryMegabytes << 20
            arguments = ["--data=\(bytes):\(bytes)", "--", executable] + arguments
            executable = prlimit
        }
        return SandboxLaunch(executable: executable, arguments: arguments, workingDirectory: runnerDirectory)
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Major versions already asked of each binary, with the file's identity when it was asked
    /// (a binary replaced in place is asked again): every worker start needs it for its
    /// permission flag, and running `node --version` costs tens of milliseconds.
    private static let knownVersions = Mutex<[String: (identity: String, major: Int)]>([:])

    static func nodeMajorVersion(_ binary: String) throws -> Int {
        let attributes = try? FileManager.default.attributesOfItem(atPath: URL(fileURLWithPath: binary).resolvingSymlinksInPath().path)
        let identity = "\(attributes?[.size] ?? "?")/\(attributes?[.modificationDate] ?? "?")/\(attributes?[.systemFileNumber] ?? "?")"
        if let known = knownVersions.withLock({ $0[binary] }), known.identity == identity { return known.major }
        let major = try askNodeMajorVersion(binary)
        knownVersions.withLock { $0[binary] = (identity, major) }
        return major
    }

    private static func askNodeMajorVersion(_ binary: String) throws -> Int {
        let (_, text) = try ChildProcess.runBlocking(binary, ["--version"], in: "/")
        return Int(text.dropFirst().split(separator: ".").first ?? "") ?? 20
    }
}

/// Files shipped with this module as SwiftPM resources (the runner, the catalog data).
enum SandboxResources {
    /// `bundleURL`, not `resourceURL`: on Linux the latter points into a `Resources` subfolder.
    static func url(_ relativePath: String) -> URL {
        Bundle.module.bundleURL.appendingPathComponent(relativePath)
    }
}

enum RunnerResources {
    static var directory: String { SandboxResources.url("Runner").path }
}
