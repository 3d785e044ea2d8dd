import CGatehouseSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process started with `posix_spawn` (`gatehouse_spawn`): the Actions workers, `npm` and
/// `node --version`.
///
/// Why not Foundation's `Process`: in Swift 6.3.1 its `run()` reads past each `/proc/self/fd`
/// entry while closing inherited descriptors (swift-corelibs-foundation PR #5472) and crashes
/// the server once it holds more than about 1,300 descriptors — a busy server starting a worker.
/// The child here gets exactly its three standard descriptors and those it is given: every
/// other one is closed by `closefrom` in the child, so the server's database files, keys and
/// sockets never reach tenant code, whatever their close-on-exec flag.
///
/// One thread per child waits for it to end (`waitid` with `WNOWAIT`), then reaps it under the
/// lock that `signal` takes: a signal is never sent to a pid the kernel may have reused.
final class ChildProcess: @unchecked Sendable {
    /// How the process ended: its exit code, or the signal that ended it when `signaled`.
    struct Termination: Equatable, Sendable {
        var status: Int32
        var signaled: Bool
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t
    private let state = NSCondition()
    private var termination: Termination?

    /// Starts `executable` (an absolute path) with `arguments` and exactly `environment`, in
    /// `directory`. The descriptors become the child's stdin, stdout and stderr (`nil`:
    /// `/dev/null`), and `more` its descriptors 3, 4, …; the caller still owns them and closes
    /// its copies of the child's ends.
    init(
        executable: String, arguments: [String], environment: [String: String] = [:], directory: String,
        standardInput: Int32? = nil, standardOutput: Int32? = nil, standardError: Int32? = nil, more: [Int32] = []
    ) throws {
        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + envp).forEach { free($0) } }
        let descriptors = [standardInput ?? -1, standardOutput ?? -1, standardError ?? -1] + more
        var pid: Int32 = 0
        let result = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            (envp + [nil]).withUnsafeBufferPointer { envpBuffer in
                descriptors.withUnsafeBufferPointer { fds in
                    gatehouse_spawn(
                        executable, argvBuffer.baseAddress, envpBuffer.baseAddress, directory, fds.baseAddress, Int32(fds.count), &pid)
                }
            }
        }
        guard result == 0 else {
            throw Failure(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        Thread.detachNewThread { [self] in self.reapWhenEnded() }
    }

    /// Sends `signal` unless the process has already been reaped.
    func signal(_ signal: Int32) {
        state.withLock {
            if termination == nil { _ = kill(pid, signal) }
        }
    }

    /// Whether the process has ended (and been reaped).
    var hasEnded: Bool { state.withLock { termination != nil } }

    /// Blocks until the process has ended.
    func waitUntilEnded() -> Termination {
        state.lock()
        defer { state.unlock() }
        while true {
            if let termination { return termination }
            state.wait()
        }
    }

    private func reapWhenEnded() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        state.lock()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // wait(2)'s encoding: the low 7 bits are the signal (0 for a normal exit), then the code.
        let signal = status & 0x7f
        termination = signal == 0 ? Termination(status: (status >> 8) & 0xff, signaled: false) : Termination(status: signal, signaled: true)
        state.broadcast()
        state.unlock()
    }

    /// Runs `executable` to completion off the cooperative pool and returns how it ended with
    /// its stdout and stderr, interleaved as written.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: String
    ) async throws -> (Termination, String) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try runBlocking(executable, arguments, environment: environment, in: directory) })
            }
        }
    }

    /// `run`, on the calling thread.
    static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], in directory: String
    ) throws -> (Termination, String) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let reading = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
        let child: ChildProcess
        do {
            defer { close(ends[1]) }
            child = try ChildProcess(
                executable: executable, arguments: arguments, environment: environment, directory: directory,
                standardOutput: ends[1], standardError: ends[1])
        }
        let output = reading.readDataToEndOfFile()
        return (child.waitUntilEnded(), String(decoding: output, as: UTF8.self))
    }
}
