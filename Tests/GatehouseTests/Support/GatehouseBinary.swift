import Foundation
import GatehouseCore
import Synchronization

@testable import GatehouseSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// The built `gatehouse` binary, run as a user runs it: a process of its own, stdout and stderr
/// apart, killed if it is still running after `deadline`.
enum GatehouseBinary {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let path =
        ProcessInfo.processInfo.environment["GATEHOUSE_BIN"] ?? repository.appendingPathComponent(".build/debug/gatehouse").path
    /// Whom `asServerUser` runs the binary as when the tests run as root: `nobody`, as an operator's
    /// own server user would be (not root, so the workers share its user).
    static let serverUserID = 65_534

    struct Run {
        /// The process's id, which stays the server's through `setpriv`.
        let pid: pid_t
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `gatehouse arguments…` in `directory` with `environment` (plus `PATH`, `HOME` and
    /// `GATEHOUSE_NODE`) until it ends. `asServerUser`: under root, as `serverUserID` (`setpriv`
    /// execs the binary, so the pid is the server's). `whileRunning` is called with the process
    /// id and the standard error read so far, each time more arrives; once it returns `true` the
    /// process gets `SIGTERM` (a server that has shown what the test waited for).
    static func run(
        _ arguments: [String], environment: [String: String] = [:], in directory: String, asServerUser: Bool = false,
        deadline: DispatchTimeInterval = .seconds(120), whileRunning: ((pid_t, String) -> Bool)? = nil
    ) throws -> Run {
        var environment = environment
        environment["PATH"] = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        environment["HOME"] = environment["HOME"] ?? NSTemporaryDirectory()
        if let node = ProcessInfo.processInfo.environment["GATEHOUSE_NODE"] { environment["GATEHOUSE_NODE"] = node }
        var executable = path
        var arguments = arguments
        if asServerUser, geteuid() == 0 {
            let user = "\(serverUserID)"
            arguments = ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--", path] + arguments
            executable = SandboxConfiguration.findExecutable("setpriv") ?? "/usr/bin/setpriv"
        }
        let output = Pipe()
        let errors = Pipe()
        let child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment, directory: directory,
            standardOutput: output.fileHandleForWriting.fileDescriptor, standardError: errors.fileHandleForWriting.fileDescriptor)
        try output.fileHandleForWriting.close()
        try errors.fileHandleForWriting.close()
        let overdue = DispatchWorkItem { child.signal(SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + deadline, execute: overdue)
        defer { overdue.cancel() }
        let stdout = Mutex(Data())
        let reader = DispatchGroup()
        DispatchQueue.global().async(group: reader) { stdout.withLock { $0 = output.fileHandleForReading.readDataToEndOfFile() } }
        var stderr = Data()
        var stopped = whileRunning == nil
        while case let chunk = errors.fileHandleForReading.availableData, !chunk.isEmpty {
            stderr += chunk
            if !stopped, let whileRunning, whileRunning(child.pid, String(decoding: stderr, as: UTF8.self)) {
                stopped = true
                child.signal(SIGTERM)
            }
        }
        reader.wait()
        let termination = child.waitUntilEnded()
        return Run(
            pid: child.pid, status: termination.status, stdout: String(decoding: stdout.withLock { $0 }, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A new directory below `/tmp` that `asServerUser` runs can write to (their bundles go there).
    static func workDirectory() throws -> URL {
        let directory = try DependencyInstallTests.temporaryDirectory()
        if geteuid() == 0 { chown(directory.path, uid_t(serverUserID), gid_t(serverUserID)) }
        return directory
    }
}
