import Foundation
import Testing

@testable import GatehouseSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// How workers, `npm` and the code check are started (`ChildProcess`): a server holding many
/// descriptors can still start them, and none of its descriptors reaches them.
@Suite("Child processes: started whatever the server holds, given nothing but stdin, stdout and stderr")
struct ChildProcessTests {
    /// Which of `descriptors` are open in a shell started as a child, as their numbers.
    static func openInChild(_ descriptors: [Int32]) throws -> [String] {
        let numbers = descriptors.map(String.init).joined(separator: " ")
        let script = "for n in \(numbers); do if [ -e /proc/$$/fd/$n ]; then echo $n; fi; done"
        let (termination, output) = try ChildProcess.runBlocking("/bin/sh", ["-c", script], in: "/")
        #expect(termination == .init(status: 0, signaled: false))
        return output.split(separator: "\n").map(String.init)
    }

    @Test("a descriptor the server holds without close-on-exec (a database file, a socket) is not open in the child")
    func nothingInherited() throws {
        let held = open("/dev/null", O_RDONLY)  // no O_CLOEXEC: inherited unless closed in the child
        #expect(held > 2)
        defer { close(held) }
        #expect(try Self.openInChild([0, 1, 2, held]) == ["0", "1", "2"])
    }

    @Test(
        "with 2,000 descriptors open a worker still starts and runs a flow (Foundation's Process crashed past ~1,300)",
        .enabled(if: Self.raiseDescriptorLimit(to: 4_096))
    )
    func manyDescriptors() async throws {
        let held = (0..<2_000).map { _ in open("/dev/null", O_RDONLY) }
        defer { held.forEach { close($0) } }
        #expect(held.allSatisfy { $0 >= 0 })
        #expect(try Self.openInChild([0, 1, 2] + held) == ["0", "1", "2"])
        try await SandboxFixture.withPool { pool in
            let fine = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/ok', true); };"
            let result = try await pool.run(try SandboxFixture.postLogin([("fine", fine)]))
            #expect(result.status == .completed, "\(result)")
        }
    }

    @Test("how a child ended: its exit code, or the signal that ended it; a signal after it ended is not sent")
    func termination() throws {
        #expect(try ChildProcess.runBlocking("/bin/sh", ["-c", "exit 7"], in: "/").0 == .init(status: 7, signaled: false))
        let sleeper = try ChildProcess(executable: "/bin/sleep", arguments: ["30"], directory: "/")
        sleeper.signal(SIGKILL)
        #expect(sleeper.waitUntilEnded() == .init(status: SIGKILL, signaled: true))
        #expect(sleeper.hasEnded)
        sleeper.signal(SIGKILL)  // reaped: nothing is sent (the pid may belong to another process now)
        #expect(throws: ChildProcess.Failure.self) { try ChildProcess(executable: "/nonexistent/binary", arguments: [], directory: "/") }
    }

    /// Raises this process's soft descriptor limit to `count` when the hard limit allows it.
    static func raiseDescriptorLimit(to count: Int) -> Bool {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_max >= rlim_t(count) else { return false }
        if limit.rlim_cur < rlim_t(count) {
            limit.rlim_cur = rlim_t(count)
            guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return false }
        }
        return true
    }
}
