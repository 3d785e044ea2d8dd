import CGatehouseSystem
import Foundation
import GatehouseCore
import Testing

@testable import GatehouseSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// "One action harms everyone" of the sandbox-trust report (`docs/SECURITY.md`): off-heap memory
/// without a cap, an action that keeps ending its worker, and who is blamed when a worker ends.
@Suite("Sandbox trust: one action cannot harm the others") struct SandboxHarmTests {
    static let hoarder = """
        exports.onExecutePostLogin = async (event, api) => {
          const kept = [];
          for (let i = 0; i < 30; i++) kept.push(Buffer.alloc(100 * 1024 * 1024, 1));
          api.idToken.setCustomClaim('https://x/held', kept.length);
        };
        """
    static let heapEater = """
        exports.onExecutePostLogin = async () => {
          const kept = [];
          for (;;) kept.push(new Array(100000).fill({ grow: kept.length }));
        };
        """
    static let workerPID = "exports.onExecutePostLogin = async () => { console.log(process.pid); };"
    static let fine = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/ok', true); };"

    @Test(
        "off-heap memory is capped by the OS: 3 GB of Buffers fail inside the action, naming the limit; the worker is replaced and the next flow runs"
    )
    func offHeapMemoryIsCapped() async throws {
        try await SandboxFixture.withPool(memoryMegabytes: 384) { pool in
            let workerBefore = try await pool.run(try SandboxFixture.postLogin([("pid", Self.workerPID)])).actions.first?.logs
            let result = try await pool.run(try SandboxFixture.postLogin([("hoarder", Self.hoarder)]))
            #expect(result.status == .failed)
            let error = try #require(result.actions.first?.error, "\(result)")
            #expect(error.class == "action_error")
            #expect(error.message.contains("memory limit of its sandbox worker (384 MB)"), "\(error.message)")
            #expect(result.commands.isEmpty)
            #expect(await SandboxFixture.waitForWorkers(pool, 1) == 1)
            let next = try await pool.run(try SandboxFixture.postLogin([("pid", Self.workerPID), ("fine", Self.fine)]))
            #expect(next.status == .completed, "\(next)")
            #expect(workerBefore != nil && next.actions.first?.logs != workerBefore, "another worker: \(String(describing: workerBefore))")
        }
    }

    @Test("an action that keeps ending its worker is quarantined: its flows fail at once, other actions run on")
    func quarantine() async throws {
        try await SandboxFixture.withPool { pool in
            let eater = try SandboxFixture.postLogin([("eater", Self.heapEater)], budget: 30_000)
            for attempt in 1...Quarantine.crashLimit {
                let result = try await pool.run(eater)
                #expect(result.status == .failed)
                #expect(result.error?.class == "action_error", "attempt \(attempt): \(String(describing: result.error))")
                #expect(result.error?.message.contains("ran out of memory") == true, "\(String(describing: result.error?.message))")
                #expect(await SandboxFixture.waitForWorkers(pool, 1) == 1)
            }
            let started = ContinuousClock.now
            let refused = try await pool.run(eater)
            #expect(ContinuousClock.now - started < .seconds(1))
            #expect(refused.error?.name == "QuarantinedError")
            #expect(refused.error?.class == "action_error")
            #expect(refused.error?.message.contains("'eater' is quarantined") == true)
            #expect(pool.workerCount == 1, "no worker was taken down")
            // Another action, and the same version id with other code (an edited draft), run.
            #expect(try await pool.run(try SandboxFixture.postLogin([("fine", Self.fine)])).status == .completed)
            let edited = try SandboxFixture.postLogin([("eater", Self.fine)])
            #expect(try await pool.run(edited).status == .completed)
        }
    }

    @Test("a quarantine ends after its cool-down: the version runs (and is counted) again")
    func quarantineCoolsDown() async throws {
        try await SandboxFixture.withPool(quarantineCoolDown: .seconds(3)) { pool in
            let eater = try SandboxFixture.postLogin([("eater", Self.heapEater)], budget: 30_000)
            for _ in 1...Quarantine.crashLimit {
                #expect(try await pool.run(eater).error?.name == "MemoryLimitError")
                #expect(await SandboxFixture.waitForWorkers(pool, 1) == 1)
            }
            let refused = try await pool.run(eater)
            #expect(refused.error?.name == "QuarantinedError")
            // What is left of the cool-down, rounded up: at most its 3 s.
            let message = refused.error?.message ?? ""
            #expect(["or wait 1 s", "or wait 2 s", "or wait 3 s"].contains { message.contains($0) }, "\(message)")
            try await Task.sleep(for: .milliseconds(3_200))
            let again = try await pool.run(eater)
            #expect(again.error?.name == "MemoryLimitError", "\(String(describing: again.error))")
        }
    }

    @Test("who is blamed: the version the runner recorded; the platform for a kill from outside; a timeout stays a timeout")
    func blame() async throws {
        let pool = SandboxPool(
            configuration: SandboxConfiguration(workers: 1), catalog: SandboxFixture.catalog, logger: .init(label: "blame"))
        let request = try SandboxFixture.postLogin([("innocent", Self.fine), ("killer", Self.fine)])
        // What the dying worker printed names nobody: only the runner's record does.
        let forged = "Error: boom\n    at Timeout._onTimeout (actions/innocent.js:3:29)"
        let crash = pool.failure(
            for: SandboxWorker.Failure.exited(status: 1, signaled: false, diagnostics: forged, running: "v-killer"), request: request)
        #expect(crash.error?.class == "action_error")
        #expect(crash.failedActionIndex == 1)
        #expect(crash.error?.message.contains("'killer'") == true)
        #expect(crash.error?.message.contains("innocent") == false)

        let unrecorded = pool.failure(
            for: SandboxWorker.Failure.exited(status: 1, signaled: false, diagnostics: forged, running: nil), request: request)
        #expect(unrecorded.error?.class == "action_error")
        #expect(unrecorded.failedActionIndex == nil)
        #expect(unrecorded.error?.message.contains("An action of this flow") == true)

        let leftover = pool.failure(
            for: SandboxWorker.Failure.exited(status: SIGABRT, signaled: true, diagnostics: "", running: "v-elsewhere"),
            request: request)
        #expect(leftover.error?.class == "platform_error")
        #expect(leftover.failedActionIndex == nil)

        for signal in [SIGKILL, SIGTERM] {
            let killed = pool.failure(
                for: SandboxWorker.Failure.exited(status: signal, signaled: true, diagnostics: "", running: "v-killer"), request: request)
            #expect(killed.error?.class == "platform_error", "signal \(signal)")
            #expect(killed.failedActionIndex == nil)
        }
        let aborted = pool.failure(
            for: SandboxWorker.Failure.exited(
                status: SIGABRT, signaled: true,
                diagnostics: "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", running: "v-killer"),
            request: request)
        #expect(aborted.error?.class == "action_error")
        #expect(aborted.error?.name == "MemoryLimitError")
        #expect(aborted.failedActionIndex == 1)
        #expect(pool.failure(for: SandboxWorker.Failure.timedOut, request: request).error?.class == "action_timeout")
    }

    @Test("the blame record a worker writes: write-only for it, fixed at 256 bytes, read only with its nonce")
    func blameRecordChannel() throws {
        let record = try BlameRecord()
        defer { record.closeWorkerEnd() }
        var line = Array("\(record.nonce) v-killer\n".utf8)
        line += [UInt8](repeating: 0x20, count: BlameRecord.recordBytes - line.count)
        #expect(line.withUnsafeBytes { pwrite(record.workerEnd, $0.baseAddress, $0.count, 0) } == BlameRecord.recordBytes)
        #expect(record.runningVersion() == "v-killer")
        // The worker cannot read it back (the nonce), nor grow it (memory the server would hold).
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(buffer.withUnsafeMutableBytes { pread(record.workerEnd, $0.baseAddress, $0.count, 0) } == -1 && errno == EBADF)
        let large = [UInt8](repeating: 0x41, count: 1 << 20)
        #expect(large.withUnsafeBytes { pwrite(record.workerEnd, $0.baseAddress, $0.count, 0) } == -1 && errno == EPERM)
        #expect(ftruncate(record.workerEnd, 1 << 20) == -1)
        // A record without the nonce names nobody.
        let forged = Array("0123456789abcdef0123456789abcdef v-innocent\n".utf8)
        _ = forged.withUnsafeBytes { pwrite(record.workerEnd, $0.baseAddress, $0.count, 0) }
        #expect(record.runningVersion() == nil)
    }

    /// Tries every way to put a stack naming `actions/innocent.js` on the worker's real stderr
    /// (the runner refuses sockets on its descriptors and captures fs writes, but blame must not
    /// depend on that), then exhausts the heap.
    static let framer = """
        exports.onExecutePostLogin = async () => {
          const stack = 'Error: framed\\n    at Timeout._onTimeout (actions/innocent.js:3:29)\\n';
          try { new (require('net').Socket)({ fd: 2, readable: false }).write(stack); } catch {}
          try { require('fs').writeSync(2, stack); } catch {}
          try { require('vm').runInNewContext('throw new Error("framed")', {}, { filename: 'actions/innocent.js' }); } catch (e) { console.error(e.stack); }
          await new Promise((resolve) => setTimeout(resolve, 50));
          const kept = [];
          for (;;) kept.push(new Array(100000).fill({ grow: kept.length }));
        };
        """

    @Test("a dying worker's stderr cannot frame another action: the action that ran out of memory is blamed, not the one it named")
    func forgedStackDoesNotFrame() async throws {
        try await SandboxFixture.withPool { pool in
            let request = try SandboxFixture.postLogin([("innocent", Self.fine), ("framer", Self.framer)], budget: 30_000)
            let result = try await pool.run(request)
            #expect(result.status == .failed)
            #expect(result.error?.class == "action_error", "\(String(describing: result.error))")
            #expect(result.failedActionIndex == 1, "\(String(describing: result.error))")
            #expect(result.error?.message.contains("'framer'") == true, "\(String(describing: result.error?.message))")
        }
    }

    @Test("work an action left running (I/O callbacks, promise continuations) that ends the worker in a later flow is blamed on it")
    func leftoverWorkIsBlamedOnItsAction() async throws {
        // Reads a file over and over for 200 ms after its flow ended, then exhausts the heap in
        // a promise continuation: no timer of its own.
        let file = RunnerResources.directory + "/runner.js"
        let planter = """
            exports.onExecutePostLogin = async () => {
              const fs = require('fs');
              const end = Date.now() + 200;
              const bomb = () => { const kept = []; for (;;) kept.push(new Array(100000).fill({ grow: kept.length })); };
              const again = () => fs.readFile('\(file)', () => Promise.resolve().then(() => (Date.now() < end ? again() : bomb())));
              again();
            };
            """
        let waiter = """
            exports.onExecutePostLogin = async (event, api) => {
              await new Promise((resolve) => setTimeout(resolve, 5000));
              api.idToken.setCustomClaim('https://x/waited', true);
            };
            """
        try await SandboxFixture.withPool { pool in
            let planting = try SandboxFixture.postLogin([("planter", planter)], budget: 30_000)
            let waiting = try SandboxFixture.postLogin([("waiter", waiter)], budget: 30_000)
            for round in 1...Quarantine.crashLimit {
                #expect(try await pool.run(planting).status == .completed, "round \(round)")
                let victim = try await pool.run(waiting)
                #expect(victim.status == .failed)
                #expect(victim.error?.class == "platform_error", "round \(round): \(String(describing: victim.error))")
                #expect(victim.failedActionIndex == nil)
                #expect(await SandboxFixture.waitForWorkers(pool, 1) == 1)
            }
            // The planter is quarantined; the waiter is not.
            #expect(try await pool.run(planting).error?.name == "QuarantinedError")
            let waited = try await pool.run(waiting)
            #expect(waited.status == .completed, "\(String(describing: waited.error))")
        }
    }

    @Test("a replacement worker warms up with a tenth of the flows, so the pool serves again soon after a worker is lost")
    func shortWarmUpForReplacements() {
        #expect(SandboxPool.warmUpFlows(2_000, whileServing: false) == 2_000)
        #expect(SandboxPool.warmUpFlows(2_000, whileServing: true) == 200)
        #expect(SandboxPool.warmUpFlows(25, whileServing: true) == 25)
        #expect(SandboxPool.warmUpFlows(0, whileServing: true) == 0)
    }

    @Test("the server closes its /proc files to processes of its own user (an Actions worker among them)")
    func serverIsUndumpable() async throws {
        try await SandboxFixture.withPool { _ in
            // Undumpable: the kernel gives the process's /proc files (environ, mem, maps) to root
            // and refuses ptrace from its own user.
            #expect(gatehouse_is_dumpable() == 0)
            var info = stat()
            #expect(stat("/proc/self/environ", &info) == 0 && info.st_uid == 0)
        }
    }
}
