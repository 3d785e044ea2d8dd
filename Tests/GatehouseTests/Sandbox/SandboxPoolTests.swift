import Foundation
import GatehouseCore
import Logging
import Synchronization
import Testing

@testable import GatehouseSandbox

@Suite("Sandbox: flow semantics through the Swift pool") struct SandboxSemanticsTests {
    @Test("actions run in order; metadata set by one is visible to the next; commands come back in call order")
    func ordering() async throws {
        try await SandboxFixture.withPool { pool in
            let result = try await pool.run(
                SandboxFixture.postLogin([
                    (
                        "first",
                        "exports.onExecutePostLogin = async (event, api) => { api.user.setAppMetadata('tier', 'gold'); event.user.email = 'mutated@evil.example'; };"
                    ),
                    (
                        "second",
                        "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/tier', event.user.app_metadata.tier + ':' + event.user.email); };"
                    ),
                ]))
            #expect(result.status == .completed)
            #expect(
                result.commands == [
                    Command(method: "api.user.setAppMetadata", args: ["tier", "gold"]),
                    Command(method: "api.idToken.setCustomClaim", args: ["https://x/tier", "gold:jane.doe@example.com"]),
                ])
        }
    }

    @Test("with callerWait zero every answer comes through the worker's reader thread, quick and slow flows alike")
    func handedOverAtOnce() async throws {
        try await SandboxFixture.withPool(callerWait: .zero) { pool in
            for delay in [0, 50] {
                let result = try await pool.run(
                    SandboxFixture.postLogin([
                        (
                            "claim",
                            "exports.onExecutePostLogin = async (event, api) => { await new Promise((r) => setTimeout(r, \(delay))); api.idToken.setCustomClaim('https://x/d', \(delay)); };"
                        )
                    ]))
                #expect(result.status == .completed)
                #expect(result.commands == [Command(method: "api.idToken.setCustomClaim", args: ["https://x/d", .number(Double(delay))])])
            }
        }
    }

    @Test("a deny stops the actions after it; a thrown error fails the flow with action_error and the action's name")
    func denyAndThrow() async throws {
        try await SandboxFixture.withPool { pool in
            let denied = try await pool.run(
                SandboxFixture.postLogin([
                    ("gate", "exports.onExecutePostLogin = async (event, api) => { api.access.deny('no entry'); };"),
                    ("never", "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/a', 1); };"),
                ]))
            #expect(denied.status == .denied)
            #expect(denied.actions.map(\.name) == ["gate"])
            let failed = try await pool.run(
                SandboxFixture.postLogin([("boom", "exports.onExecutePostLogin = async () => { throw new Error('kaput'); };")]))
            #expect(failed.status == .failed)
            let error = try #require(failed.actions.first?.error)
            #expect(error.class == "action_error")
            #expect(error.message == "kaput")
            #expect(error.stack?.contains("actions/boom.js") == true)
        }
    }

    @Test(
        "a version's code goes to a worker until it has compiled it: module state carries on, and new code under the same version id runs")
    func codeSentOnce() async throws {
        try await SandboxFixture.withPool { pool in
            let counting = try SandboxFixture.postLogin([
                (
                    "counter",
                    "let runs = 0; exports.onExecutePostLogin = async (event, api) => { runs += 1; api.idToken.setCustomClaim('https://x/runs', runs); };"
                )
            ])
            for expected in 1...3 {
                let result = try await pool.run(counting)
                #expect(
                    result.commands == [Command(method: "api.idToken.setCustomClaim", args: ["https://x/runs", .number(Double(expected))])])
            }
            // A draft tested twice keeps its version id while its code changes.
            let changed = try SandboxFixture.postLogin([
                (
                    "counter",
                    "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/runs', 'new code'); };"
                )
            ])
            #expect(
                try await pool.run(changed).commands == [
                    Command(method: "api.idToken.setCustomClaim", args: ["https://x/runs", "new code"])
                ])
        }
    }

    @Test("a worker that lost a module it ran (its top level threw) is sent the code again, and the flow runs")
    func codeSentAgain() async throws {
        try await SandboxFixture.withPool { pool in
            let flaky = try SandboxFixture.postLogin([
                (
                    "flaky",
                    "globalThis.loads = (globalThis.loads || 0) + 1; if (globalThis.loads === 1) throw new Error('first load fails'); exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/loads', globalThis.loads); };"
                )
            ])
            let first = try await pool.run(flaky)
            #expect(first.actions.first?.error?.message == "first load fails")
            let second = try await pool.run(flaky)
            #expect(second.status == .completed)
            #expect(second.commands == [Command(method: "api.idToken.setCustomClaim", args: ["https://x/loads", 2])])
            #expect(pool.workerCount == 1)
        }
    }

    @Test("secrets reach the action as event.secrets; console output is captured per action")
    func secretsAndLogs() async throws {
        try await SandboxFixture.withPool { pool in
            let result = try await pool.run(
                SandboxFixture.postLogin(
                    [("log", "exports.onExecutePostLogin = async (event) => { console.log('key is', event.secrets.API_KEY); };")],
                    secrets: ["API_KEY": "s3cr3t"]))
            #expect(result.actions.first?.logs == "key is s3cr3t\n")
        }
    }
}

@Suite("Sandbox: containment and pool strength") struct SandboxContainmentTests {
    @Test("a synchronous infinite loop is killed at the budget; the pool stays at full strength")
    func synchronousLoop() async throws {
        try await SandboxFixture.withPool(workers: 2) { pool in
            let started = ContinuousClock.now
            let result = try await pool.run(
                SandboxFixture.postLogin([("spin", "exports.onExecutePostLogin = async () => { while (true) {} };")], budget: 300))
            #expect(result.status == .failed)
            #expect(result.error?.class == "action_timeout")
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(await SandboxFixture.waitForWorkers(pool, 2) == 2)
            let next = try await pool.run(
                SandboxFixture.postLogin([("ok", "exports.onExecutePostLogin = async (e, api) => { api.user.setUserMetadata('a', 1); };")]))
            #expect(next.status == .completed)
        }
    }

    @Test("a pool whose workers cannot start fails the flows waiting for one with the reason, and tries again at the next flow")
    func failedStart() async throws {
        let directory = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A "node" that dies before it reads its catalog.
        let node = directory.appendingPathComponent("node")
        try "#!/bin/sh\nsleep 0.3\nexit 3\n".write(to: node, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: node.path)
        var logger = Logger(label: "sandbox-test")
        logger.logLevel = .critical
        let pool = SandboxPool(
            configuration: SandboxConfiguration(nodeBinary: node.path, workers: 1), catalog: SandboxFixture.catalog, logger: logger)
        let request = try SandboxFixture.postLogin([("noop", "exports.onExecutePostLogin = async () => {};")])

        let starting = Self.outcome { try await pool.start() }
        try await Task.sleep(for: .milliseconds(50))
        let waiting = Self.outcome { _ = try await pool.run(request) }  // arrives during the start
        #expect(await starting.error(within: .seconds(10))?.contains("did not start") == true)
        #expect(await waiting.error(within: .seconds(10))?.contains("did not start") == true)
        let next = Self.outcome { _ = try await pool.run(request) }
        #expect(await next.error(within: .seconds(10))?.contains("did not start") == true)
        await pool.shutdown()
    }

    @Test("when one worker of several fails to start, the ones that did start do not stay behind")
    func partlyFailedStart() async throws {
        let directory = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        // A "node" whose first runner dies at once; the others are real runners, their PIDs noted.
        let realNode = SandboxConfiguration().nodeBinary
        let node = directory.appendingPathComponent("node")
        let script = """
            #!/bin/sh
            case "$*" in *runner.js*)
              mkdir "\(directory.path)/first" 2>/dev/null && exit 3
              echo $$ > "\(directory.path)/pid-$$" ;;
            esac
            exec "\(realNode)" "$@"

            """
        try script.write(to: node, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: node.path)
        var logger = Logger(label: "sandbox-test")
        logger.logLevel = .critical
        let pool = SandboxPool(
            configuration: SandboxConfiguration(nodeBinary: node.path, workers: 3), catalog: SandboxFixture.catalog, logger: logger)
        await #expect(throws: (any Error).self) { try await pool.start() }
        let started = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("pid-") }
            .compactMap { Int32($0.dropFirst(4)) }
        #expect(started.count == 2)
        // Each started worker was asked to exit; none is left running.
        var running = started
        for _ in 0..<100 where !running.isEmpty {
            running = running.filter { Glibc.kill($0, 0) == 0 }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(running.isEmpty, "workers left running: \(running)")
        await pool.shutdown()
    }

    /// Runs `body` in a task of its own; `error(within:)` reads how it ended without waiting
    /// forever for one that never does.
    static func outcome(_ body: @escaping @Sendable () async throws -> Void) -> Outcome {
        let outcome = Outcome()
        Task {
            do {
                try await body()
                outcome.ended.withLock { $0 = .some(nil) }
            } catch {
                outcome.ended.withLock { $0 = .some("\(error)") }
            }
        }
        return outcome
    }

    final class Outcome: Sendable {
        /// `nil` while running; then `.some(nil)` (returned) or the error's description.
        let ended = Mutex<String??>(nil)

        /// The error's description; `nil` if it returned; a complaint if it still runs after `limit`.
        func error(within limit: Duration) async -> String? {
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if let ended = ended.withLock({ $0 }) { return ended }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return "still running after \(limit)"
        }
    }

    @Test("when every worker is busy, a waiting flow gets an extra worker instead of waiting for the busy one; it retires after")
    func surge() async throws {
        try await SandboxFixture.withPool(workers: 1) { pool in
            // 8 s (within the 10 s budget): starting the extra worker takes well under a second
            // alone, but seconds on a 2-core machine busy with the rest of the suite.
            let slow = try BackgroundFlows(
                [("slow", "exports.onExecutePostLogin = async () => { await new Promise((r) => setTimeout(r, 8000)); };")], on: pool)
            // Let the slow flow take the only worker.
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await pool.run(Self.quickFlow()).status == .completed)
            // The quick flow was answered while the slow one still held the configured worker.
            #expect(slow.finishedCount == 0)
            for task in slow.tasks { #expect(try await task.value.status == .completed) }
            #expect(await SandboxFixture.waitForWorkers(pool, 1) == 1)
        }
    }

    @Test(
        "slow flows do not hold the server's threads: with a flow waiting on a timer and one busy computing per core, a quick flow still runs"
    )
    func slowFlowsFreeTheirCallers() async throws {
        // A caller waits for a short flow on its own thread (`SandboxWorker`). If slow flows kept
        // their callers' threads, these would occupy every thread of the cooperative pool and the
        // quick flow could not even start before they end.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        try await SandboxFixture.withPool(workers: 2 * cores + 1) { pool in
            let waiting = "exports.onExecutePostLogin = async () => { await new Promise((r) => setTimeout(r, 2000)); };"
            let computing = "exports.onExecutePostLogin = async () => { const end = Date.now() + 2000; while (Date.now() < end) {} };"
            let slow = try BackgroundFlows((0..<(2 * cores)).map { ("slow-\($0)", $0 % 2 == 0 ? waiting : computing) }, on: pool)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await pool.run(Self.quickFlow()).status == .completed)
            #expect(slow.finishedCount == 0)
            for task in slow.tasks { #expect(try await task.value.status == .completed) }
        }
    }

    static func quickFlow() throws -> FlowRequest {
        try SandboxFixture.postLogin([("quick", "exports.onExecutePostLogin = async (e, api) => { api.user.setUserMetadata('a', 1); };")])
    }

    /// One-action flows started in the background, each in a task of its own, with a count of
    /// those that have finished.
    struct BackgroundFlows {
        final class Counter: Sendable { let value = Atomic(0) }
        let tasks: [Task<FlowResult, any Error>]
        private let finished = Counter()

        init(_ actions: [(String, String)], on pool: SandboxPool) throws {
            let finished = finished
            tasks = try actions.map { action in
                let request = try SandboxFixture.postLogin([action], budget: 10_000)
                return Task {
                    let result = try await pool.run(request)
                    finished.value.add(1, ordering: .relaxed)
                    return result
                }
            }
        }

        var finishedCount: Int { finished.value.load(ordering: .relaxed) }
    }

    @Test("an asynchronous loop times out inside the runner as action_timeout")
    func asynchronousLoop() async throws {
        try await SandboxFixture.withPool { pool in
            let result = try await pool.run(
                SandboxFixture.postLogin(
                    [("wait", "exports.onExecutePostLogin = async () => { while (true) { await new Promise(r => setTimeout(r, 10)); } };")],
                    budget: 300))
            #expect(result.status == .failed)
            #expect(result.actions.first?.error?.class == "action_timeout")
            #expect(await SandboxFixture.waitForWorkers(pool, 1) == 1)
        }
    }

    @Test("a memory bomb fails its own flow: the action is to blame (action_error, the heap limit named); the next flow runs")
    func memoryBomb() async throws {
        try await SandboxFixture.withPool(heapMegabytes: 32) { pool in
            let result = try await pool.run(
                SandboxFixture.postLogin([
                    (
                        "hog",
                        "exports.onExecutePostLogin = async () => { const a = []; while (true) a.push({ x: 'y'.repeat(100) + Math.random() }); };"
                    )
                ]))
            #expect(result.status == .failed)
            #expect(result.error?.class == "action_error")
            #expect(result.error?.message.contains("ran out of memory (the heap limit is 32 MB)") == true)
            let next = try await pool.run(
                SandboxFixture.postLogin([("ok", "exports.onExecutePostLogin = async () => {};")]))
            #expect(next.status == .completed)
        }
    }

    @Test("a readable database file elsewhere on disk cannot be read: ERR_ACCESS_DENIED")
    func databaseFile() async throws {
        let path = "/tmp/gatehouse-secret-\(RandomIdentifier.hex(byteCount: 6)).sqlite"
        try Data("tenant secrets".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await SandboxFixture.withPool { pool in
            let result = try await pool.run(
                SandboxFixture.postLogin([
                    ("thief", "exports.onExecutePostLogin = async () => { console.log(require('fs').readFileSync('\(path)', 'utf8')); };")
                ]))
            #expect(result.actions.first?.error?.code == "ERR_ACCESS_DENIED")
            #expect(result.actions.first?.logs.contains("tenant secrets") == false)
        }
    }

    @Test(
        "hostile actions are refused by the runtime and do not harm the worker",
        arguments: [
            ("files", "require('fs').readFileSync('/etc/passwd', 'utf8')"),
            ("write", "require('fs').writeFileSync('/tmp/gatehouse-owned', 'x')"),
            ("spawn", "require('child_process').execSync('id')"),
            ("worker", "new (require('worker_threads').Worker)('1')"),
            ("exit", "process.exit(1)"),
            ("signal", "process.kill(process.ppid, 'SIGTERM')"),
        ])
    func hostile(name: String, statement: String) async throws {
        try await SandboxFixture.withPool { pool in
            let result = try await pool.run(
                SandboxFixture.postLogin([(name, "exports.onExecutePostLogin = async () => { \(statement); };")]))
            #expect(result.status == .failed)
            #expect(result.actions.first?.error?.class == "action_error")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/gatehouse-owned"))
            let next = try await pool.run(SandboxFixture.postLogin([("ok", "exports.onExecutePostLogin = async () => {};")]))
            #expect(next.status == .completed)
        }
    }

    @Test("workers see an empty environment and, when the server is root, run as an unprivileged user")
    func environmentAndUser() async throws {
        try await SandboxFixture.withPool { pool in
            let result = try await pool.run(
                SandboxFixture.postLogin([
                    (
                        "whoami",
                        "exports.onExecutePostLogin = async () => { console.log(JSON.stringify({ env: Object.keys(process.env).length, uid: process.getuid() })); };"
                    )
                ]))
            let report = try #require(JSONValue(jsonText: result.actions.first?.logs ?? ""))
            #expect(report["env"] == 0)
            if geteuid() == 0 {
                #expect(report["uid"] == 65_534)
            } else {
                #expect(report["uid"] == .number(Double(geteuid())))
            }
        }
    }
}

@Suite("Sandbox: npm dependencies, offline") struct DependencyInstallTests {
    /// A local package and its `npm pack` tarball, made here (no registry is reachable).
    static func makePackage(in directory: URL) throws -> URL {
        let package = directory.appendingPathComponent("tiny-shout")
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        try #"{"name":"tiny-shout","version":"1.0.0","main":"index.js"}"#.write(
            to: package.appendingPathComponent("package.json"), atomically: true, encoding: .utf8)
        try "module.exports = (s) => s.toUpperCase() + '!';".write(
            to: package.appendingPathComponent("index.js"), atomically: true, encoding: .utf8)
        return package
    }

    /// tiny-shout made in `directory` and packed there with `npm pack`: its tarball,
    /// `directory/tiny-shout-1.0.0.tgz`.
    static func packedPackage(in directory: URL) async throws -> URL {
        let package = try makePackage(in: directory)
        let (status, output) = try await npm(["pack", "--silent", package.path], in: directory.path)
        guard status == 0 else { throw TestFailure("npm pack failed: \(output)") }
        return directory.appendingPathComponent("tiny-shout-1.0.0.tgz")
    }

    static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp").appendingPathComponent("gatehouse-deps-" + RandomIdentifier.hex(byteCount: 6))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        return url
    }

    @Test("a dependency from an npm pack tarball installs once into a content-addressed bundle and can be required")
    func tarball() async throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let tarball = try await Self.packedPackage(in: work)
        let bundles = work.appendingPathComponent("bundles").path
        let installer = DependencyInstaller(
            bundlesDirectory: bundles, sources: DependencySources(directories: [work.path], urlPrefixes: []))
        let dependencies = [ActionDependency(name: "tiny-shout", version: "file:" + tarball.path)]
        let modules = try #require(try await installer.install(dependencies))
        #expect(modules.hasPrefix(bundles + "/" + DependencyInstaller.bundleKey(dependencies)))
        #expect(try await installer.install(dependencies) == modules)
        let contents = try FileManager.default.contentsOfDirectory(atPath: bundles)
        #expect(contents.count == 1)
        try await SandboxFixture.withPool(bundles: bundles) { pool in
            var request = try SandboxFixture.postLogin([
                (
                    "shout",
                    "const shout = require('tiny-shout'); exports.onExecutePostLogin = async (e, api) => { api.idToken.setCustomClaim('https://x/s', shout('hi')); };"
                )
            ])
            let action = request.actions[0]
            request.actions[0] = ActionSource(name: action.name, versionID: action.versionID, code: action.code, nodeModules: modules)
            let result = try await pool.run(request)
            #expect(result.commands == [Command(method: "api.idToken.setCustomClaim", args: ["https://x/s", "HI!"])])
        }
    }

    @Test("a local package directory installs too; a missing package reports npm's error and leaves no bundle")
    func directoryAndFailure() async throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let package = try Self.makePackage(in: work)
        let bundles = work.appendingPathComponent("bundles").path
        let installer = DependencyInstaller(
            bundlesDirectory: bundles, registry: "http://127.0.0.1:9/", fetchRetries: 0,
            sources: DependencySources(directories: [work.path], urlPrefixes: []))
        #expect(try await installer.install([ActionDependency(name: "tiny-shout", version: "file:" + package.path)]) != nil)
        await #expect(throws: DependencyInstaller.Failure.self) {
            try await installer.install([ActionDependency(name: "does-not-exist-anywhere", version: "1.0.0")])
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: bundles)
        #expect(left.count == 1)
        await #expect(throws: DependencyInstaller.Failure.self) {
            try await installer.install([ActionDependency(name: "--registry=evil", version: "1")])
        }
    }

    @Test("npm installs beside the bundles directory, never below it, where workers could read an install before its check")
    func installsOutsideWhatWorkersRead() async throws {
        let work = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        // A stand-in for npm that records where it was asked to install, then fails.
        let fake = work.appendingPathComponent("npm")
        let record = work.appendingPathComponent("cwd")
        try "#!/bin/sh\npwd > \(record.path)\nexit 1\n".write(to: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake.path)
        let bundles = work.appendingPathComponent("bundles").path
        let installer = DependencyInstaller(bundlesDirectory: bundles, npm: fake.path)
        await #expect(throws: DependencyInstaller.Failure.self) {
            try await installer.install([ActionDependency(name: "left-pad", version: "1.3.0")])
        }
        let directory = try String(contentsOf: record, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!directory.isEmpty)
        #expect(!directory.hasPrefix(bundles + "/"), "npm ran in \(directory)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: bundles).isEmpty)
    }

    static func npm(_ arguments: [String], in directory: String) async throws -> (Int32, String) {
        let environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": directory]
        let (termination, output) = try await ChildProcess.run("/usr/bin/env", ["npm"] + arguments, environment: environment, in: directory)
        return (termination.status, output)
    }
}
