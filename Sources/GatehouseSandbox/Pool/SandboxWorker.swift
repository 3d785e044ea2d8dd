import Foundation
import GatehouseCore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One long-lived `node` process running the Actions runner, spoken to in newline-delimited JSON
/// over its stdin and stdout (`Runner/PROTOCOL.md`). A worker serves one request at a time; the
/// pool makes sure of that.
///
/// Reading happens on a dedicated thread blocked in `read(2)`, so an answer is delivered the
/// moment it is written, without polling.
final class SandboxWorker: @unchecked Sendable {
    enum Failure: Error, Equatable {
        /// The process ended (crash, out of memory, killed). `diagnostics` is the tail of its stderr.
        case exited(status: Int32, diagnostics: String)
        /// The worker wrote something that is not a protocol frame.
        case protocolViolation(String)
        case notRunning
    }

    let id: Int
    /// Synthetic flows the worker ran before it reported ready (`init.warm_up`).
    private(set) var warmedUpFlows = 0
    private let process: Process
    private let input: FileHandle
    private let lock = NSLock()
    private var waiting: CheckedContinuation<Data, any Error>?
    private var exitFailure: Failure?
    private var stderrTail = Data()
    /// When the request in flight must have been answered; the reader thread kills the worker
    /// past it (a synchronous infinite loop cannot be interrupted from inside).
    private var deadline: ContinuousClock.Instant?

    /// Starts the process; `ready()` must succeed before the worker is used.
    init(id: Int, launch: SandboxLaunch) throws {
        self.id = id
        let process = launch.process()
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        self.process = process
        self.input = stdin.fileHandleForWriting
        try process.run()
        let stdoutFD = stdout.fileHandleForReading.fileDescriptor
        let stderrFD = stderr.fileHandleForReading.fileDescriptor
        Thread.detachNewThread { [self] in self.readFrames(from: stdoutFD, keeping: stdout) }
        Thread.detachNewThread { [self] in self.drainDiagnostics(from: stderrFD, keeping: stderr) }
    }

    var isRunning: Bool { process.isRunning }
    var processID: Int32 { process.processIdentifier }

    /// Records what the worker's `ready` frame said; called once, before the worker is shared.
    func readied(_ frame: JSONValue) {
        if case .number(let flows) = frame["warmed_up"] { warmedUpFlows = Int(flows) }
    }

    /// Sends one frame and waits for the next frame the worker writes. Without an answer within
    /// `timeout`, the worker is killed and the call fails with `.exited(SIGKILL)`.
    func exchange(_ frame: Data, timeout: Duration? = nil) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let failure = exitFailure {
                lock.unlock()
                continuation.resume(throwing: failure)
                return
            }
            waiting = continuation
            deadline = timeout.map { ContinuousClock.now + $0 }
            lock.unlock()
            var line = frame
            line.append(0x0A)
            do {
                try input.write(contentsOf: line)
            } catch {
                lock.lock()
                let pending = waiting
                waiting = nil
                lock.unlock()
                pending?.resume(throwing: Failure.notRunning)
            }
        }
    }

    /// Stops the process at once (SIGKILL): for a worker stuck in a synchronous loop.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// Asks the worker to exit, then makes sure it does.
    func shutdown() {
        try? input.write(contentsOf: Data(#"{"type":"shutdown"}"#.utf8 + [0x0A]))
        try? input.close()
        let process = process
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        }
    }

    private func deliver(_ result: Result<Data, any Error>) {
        lock.lock()
        let pending = waiting
        waiting = nil
        deadline = nil
        lock.unlock()
        pending?.resume(with: result)
    }

    /// Splits stdout into lines; each line is the answer to the request in flight. Waits with
    /// `poll` so that it also notices a passed deadline (checked at least every 50 ms).
    private func readFrames(from descriptor: Int32, keeping pipe: Pipe) {
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let due = lock.withLock { deadline }
            var waitMillis: Int32 = 50
            if let due {
                let left = due - ContinuousClock.now
                if left <= .zero {
                    kill()
                    waitMillis = 50
                } else {
                    let millis = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
                    waitMillis = Int32(min(millis, 50))
                }
            }
            let ready = poll(&poller, 1, waitMillis)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            buffer.append(contentsOf: chunk[0..<count])
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if !line.isEmpty { deliver(.success(line)) }
            }
        }
        process.waitUntilExit()
        let failure = Failure.exited(status: process.terminationStatus, diagnostics: diagnostics())
        lock.withLock { exitFailure = failure }
        deliver(.failure(failure))
        _ = pipe
    }

    /// Keeps the last 4 KiB of stderr (V8's out-of-memory message, runner diagnostics).
    private func drainDiagnostics(from descriptor: Int32, keeping pipe: Pipe) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            lock.withLock {
                stderrTail.append(contentsOf: chunk[0..<count])
                if stderrTail.count > 4096 { stderrTail.removeFirst(stderrTail.count - 4096) }
            }
        }
        _ = pipe
    }

    func diagnostics() -> String {
        lock.withLock { String(decoding: stderrTail, as: UTF8.self) }
    }
}

/// How a worker process is started: the `node` binary, Node's permission flags, and — when the
/// server runs as root — `setpriv` to drop to an unprivileged user first.
struct SandboxLaunch: Sendable {
    var executable: String
    var arguments: [String]
    var workingDirectory: String

    /// The process, not yet started, with an empty environment: nothing of the server's
    /// environment (database URL, master key) ever reaches tenant code.
    func process() -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = [:]
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        return process
    }
}
