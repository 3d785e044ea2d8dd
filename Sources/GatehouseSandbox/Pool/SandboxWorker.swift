import Foundation
import GatehouseCore
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One long-lived `node` process running the Actions runner, spoken to in newline-delimited JSON
/// over its stdin (a pipe) and stdout (a Unix socket pair) (`Runner/PROTOCOL.md`). A worker
/// serves one request at a time; the pool makes sure of that.
///
/// Waiting for an answer happens in two stages. The caller first waits on its own thread, in a
/// blocking `read(2)`: a short flow is answered within microseconds (a three-action post-login
/// flow takes about 100 µs), and the kernel hands the answer straight to the caller, usually on
/// the CPU the worker just left. That stage ends at the first of: the answer; the runner's
/// "waiting" mark (a bare newline, written when the flow waits for I/O or timers, `PROTOCOL.md`
/// §5); or the socket's receive timeout (`callerWait`, which the kernel rounds up to whole
/// scheduler ticks, a few milliseconds). Then the wait is handed to the worker's reader thread,
/// which frees the caller's thread, enforces the flow's deadline, and resumes the caller once
/// the answer is in. Measured in `BENCHMARKS.md` ("the caller's own wait").
final class SandboxWorker: @unchecked Sendable {
    enum Failure: Error, Equatable {
        /// The process ended (crash, out of memory, killed from outside) before answering.
        /// `status` is its exit code, or the signal that ended it when `signaled`;
        /// `diagnostics` is the tail of its stderr (which action code can write to); `running` is
        /// the version the runner recorded as running (`BlameRecord`), when it recorded one.
        case exited(status: Int32, signaled: Bool, diagnostics: String, running: String?)
        /// The worker did not answer before the exchange's deadline and was killed.
        case timedOut
        /// The worker's channels could not be set up.
        case notStarted(String)
        /// The worker was killed or shut down by the pool before this exchange.
        case retired
    }

    let id: Int
    var processID: Int32 { process.pid }
    /// Warm-up flows the pool ran on this worker before it took traffic; set once, before the
    /// worker is shared.
    var warmedUpFlows = 0
    private let process: ChildProcess
    private let input: FileHandle
    private let inputDescriptor: Int32
    /// Our end of the socket pair that is the worker's stdout.
    private let output: FileHandle
    private let outputDescriptor: Int32
    /// Whether the caller waits on its own thread first (`SandboxConfiguration.callerWait`).
    private let callerWaits: Bool
    /// The stdin and stderr pipes; their file handles own (and close) the descriptors.
    private let pipes: [Pipe]
    /// Which version the worker is running, as its runner records it; its nonce goes in the
    /// worker's `init` frame.
    let blameRecord: BlameRecord

    /// Guards the fields below it; the reader thread sleeps on it until a wait is handed over.
    private let state = NSCondition()
    private var handedOver: CheckedContinuation<[UInt8], any Error>?
    /// When the request in flight must have been answered; the reader thread kills the worker
    /// past it (a synchronous infinite loop cannot be interrupted from inside).
    private var deadline: ContinuousClock.Instant?
    private var exitFailure: Failure?
    /// Set when this side killed the worker at the deadline: its SIGKILL is then a timeout, not
    /// a kill from outside.
    private var killedAtDeadline = false
    private var retired = false
    private var stderrTail = Data()

    /// Bytes read from stdout after the last whole frame, and the read buffer. Only one thread
    /// reads at a time: the caller during its own wait, then the reader thread once the wait is
    /// handed over (the hand-over, under `state`, orders the two).
    private var unread: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65_536)
    /// Whether a bare newline, the runner's "waiting" mark, was read since the last frame.
    private var sawWaitingMark = false

    /// The versions this worker has compiled, by version id, as they were last sent: requests
    /// leave their code out (`PROTOCOL.md` §4). Used only by the caller the worker is checked
    /// out to (`SandboxWorker+Flows.swift`).
    var compiledVersions: [String: ActionSource] = [:]

    /// A write to a worker that has died must fail with `EPIPE`, not end the server.
    private static let brokenPipesIgnored: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Starts the process; its `ready` frame must have been read before the worker is used.
    init(id: Int, launch: SandboxLaunch, callerWait: Duration) throws {
        Self.brokenPipesIgnored
        self.id = id
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            throw Failure.notStarted("socketpair: \(String(cString: strerror(errno)))")
        }
        let workerEnd = FileHandle(fileDescriptor: sockets[1], closeOnDealloc: true)
        self.output = FileHandle(fileDescriptor: sockets[0], closeOnDealloc: true)
        self.outputDescriptor = sockets[0]
        self.callerWaits = callerWait > .zero
        let micros = max(1, callerWait.components.seconds * 1_000_000 + callerWait.components.attoseconds / 1_000_000_000_000)
        var timeout = timeval(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
        guard setsockopt(sockets[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            throw Failure.notStarted("SO_RCVTIMEO: \(String(cString: strerror(errno)))")
        }
        let stdin = Pipe()
        let stderr = Pipe()
        self.input = stdin.fileHandleForWriting
        self.inputDescriptor = stdin.fileHandleForWriting.fileDescriptor
        self.pipes = [stdin, stderr]
        self.blameRecord = try BlameRecord()
        self.process = try launch.start(
            standardInput: stdin.fileHandleForReading.fileDescriptor, standardOutput: sockets[1],
            standardError: stderr.fileHandleForWriting.fileDescriptor, blameRecord: blameRecord.workerEnd)
        blameRecord.closeWorkerEnd()
        // Only the worker holds its ends now: its exit ends our reads, and a write after it
        // fails with EPIPE.
        try? workerEnd.close()
        try? stdin.fileHandleForReading.close()
        try? stderr.fileHandleForWriting.close()
        let stderrDescriptor = stderr.fileHandleForReading.fileDescriptor
        Thread.detachNewThread { [self] in self.serveHandedOverWaits() }
        Thread.detachNewThread { [self] in self.drainDiagnostics(from: stderrDescriptor) }
    }

    /// Sends one frame (`line` ends with its newline) and returns the next frame the worker
    /// writes, without the newline. Without an answer within `timeout`, the worker is killed
    /// and the call fails with `.exited(SIGKILL)`. `callerMayWait: false` hands the wait to the
    /// reader thread at once, whatever `callerWait` says (for background work, such as a
    /// warm-up, that must not hold a thread of the cooperative pool).
    func exchange(_ line: [UInt8], timeout: Duration? = nil, callerMayWait: Bool = true) async throws -> [UInt8] {
        if let failure = state.withLock({ exitFailure }) { throw failure }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        // A failed write means the process is gone; the reader thread finds out how it ended.
        if write(line), callerWaits, callerMayWait, let frame = readFrameOnCallersThread() { return frame }
        return try await withCheckedThrowingContinuation { continuation in
            state.lock()
            // The reader thread has ended: nobody would take the wait.
            if let failure = exitFailure ?? (retired ? .retired : nil) {
                state.unlock()
                continuation.resume(throwing: failure)
                return
            }
            handedOver = continuation
            self.deadline = deadline
            state.signal()
            state.unlock()
        }
    }

    /// Stops the process at once (SIGKILL): for a worker stuck in a synchronous loop.
    func kill() {
        process.signal(SIGKILL)
        retire()
    }

    /// Asks the worker to exit, then makes sure it does.
    func shutdown() {
        try? input.write(contentsOf: Data(#"{"type":"shutdown"}"#.utf8 + [0x0A]))
        try? input.close()
        retire()
        let process = process
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
            process.signal(SIGKILL)
        }
    }

    /// Lets the reader thread end once no wait is handed over to it.
    private func retire() {
        state.withLock {
            retired = true
            state.signal()
        }
    }

    private func write(_ line: [UInt8]) -> Bool {
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(inputDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// The first whole frame in `unread`, taken out of it. Bare newlines before it are
    /// consumed and noted in `sawWaitingMark`.
    private func takeFrame() -> [UInt8]? {
        while let newline = unread.firstIndex(of: 0x0A) {
            let frame = Array(unread[..<newline])
            unread.removeSubrange(...newline)
            if !frame.isEmpty {
                sawWaitingMark = false
                return frame
            }
            sawWaitingMark = true
        }
        return nil
    }

    private enum ReadOutcome { case data, timedOut, ended }

    /// Appends what stdout has to `unread`, waiting at most the socket's receive timeout.
    private func readAvailable() -> ReadOutcome {
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(outputDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                unread.append(contentsOf: chunk[0..<count])
                return .data
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return .timedOut }
            return .ended
        }
    }

    /// The caller's own wait: the answer, or `nil` to hand the wait over — at the runner's
    /// waiting mark, at the receive timeout, or when stdout has ended (the reader thread then
    /// reports how the process ended).
    private func readFrameOnCallersThread() -> [UInt8]? {
        sawWaitingMark = false
        while true {
            if let frame = takeFrame() { return frame }
            if sawWaitingMark { return nil }
            guard readAvailable() == .data else { return nil }
        }
    }

    /// The reader thread: sleeps until a wait is handed over, then reads until the frame is
    /// whole, killing the worker when the deadline passes (checked at least every 50 ms). Ends
    /// when the process has ended or the worker is retired.
    private func serveHandedOverWaits() {
        while true {
            state.lock()
            while handedOver == nil && !retired { state.wait() }
            let hasWait = handedOver != nil
            state.unlock()
            guard hasWait else { return }
            if let frame = readFrameBeforeDeadline() {
                deliver(.success(frame))
                continue
            }
            let termination = process.waitUntilEnded()
            let failure =
                state.withLock({ killedAtDeadline })
                ? Failure.timedOut
                : Failure.exited(
                    status: termination.status, signaled: termination.signaled, diagnostics: diagnostics(),
                    running: blameRecord.runningVersion())
            state.withLock { exitFailure = failure }
            deliver(.failure(failure))
            return
        }
    }

    /// A frame, or `nil` once stdout has ended (the process has exited or is exiting).
    private func readFrameBeforeDeadline() -> [UInt8]? {
        var poller = pollfd(fd: outputDescriptor, events: Int16(POLLIN), revents: 0)
        while true {
            if let frame = takeFrame() { return frame }
            let due = state.withLock { deadline }
            var waitMillis: Int32 = 50
            if let due {
                let left = due - ContinuousClock.now
                if left <= .zero {
                    state.withLock { killedAtDeadline = true }
                    process.signal(SIGKILL)
                } else {
                    let millis = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1
                    waitMillis = Int32(min(millis, 50))
                }
            }
            let ready = poll(&poller, 1, waitMillis)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            if readAvailable() == .ended { return nil }
        }
    }

    private func deliver(_ result: Result<[UInt8], any Error>) {
        state.lock()
        let pending = handedOver
        handedOver = nil
        deadline = nil
        state.unlock()
        pending?.resume(with: result)
    }

    /// Keeps the last 4 KiB of stderr (V8's out-of-memory message, runner diagnostics).
    private func drainDiagnostics(from descriptor: Int32) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            state.withLock {
                stderrTail.append(contentsOf: chunk[0..<count])
                if stderrTail.count > 4096 { stderrTail.removeFirst(stderrTail.count - 4096) }
            }
        }
    }

    func diagnostics() -> String {
        state.withLock { String(decoding: stderrTail, as: UTF8.self) }
    }
}

/// How a worker process is started: the `node` binary, Node's permission flags, and — when the
/// server runs as root — `setpriv` to drop to an unprivileged user first.
struct SandboxLaunch: Sendable {
    var executable: String
    var arguments: [String]
    var workingDirectory: String

    /// Starts the process with an empty environment (nothing of the server's environment —
    /// database URL, master key — ever reaches tenant code) and only the given descriptors: the
    /// three standard ones and, for a worker, its blame record's write-only end as descriptor 3.
    func start(standardInput: Int32?, standardOutput: Int32?, standardError: Int32?, blameRecord: Int32? = nil) throws -> ChildProcess {
        try ChildProcess(
            executable: executable, arguments: arguments, environment: [:], directory: workingDirectory, standardInput: standardInput,
            standardOutput: standardOutput, standardError: standardError, more: blameRecord.map { [$0] } ?? [])
    }
}
