import CGatehouseSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a worker's runner records which action version it is running, for the pool to read
/// when the worker dies (`Runner/PROTOCOL.md` §9, "Blame"; `Runner/lib/blame.js`).
///
/// Nothing a dying worker printed can be trusted: an action could write a stack naming another
/// action's file, and an out-of-memory abort prints no stack at all. The record is an in-memory
/// file (`memfd_create`, sealed at 256 bytes, so a worker cannot make the server hold more) that
/// the worker holds write-only as its descriptor 3, each record starting with a nonce that
/// reaches the runner in the `init` frame, on stdin, which action code cannot read: an action
/// can neither read the record nor write one that names another action (the runner also refuses
/// it the descriptor).
final class BlameRecord: @unchecked Sendable {
    /// The bytes of one record (`RECORD_BYTES` in `blame.js`).
    static let recordBytes = 256

    let nonce: String
    /// The worker's end: write-only; handed to the worker as its descriptor 3, then closed here.
    private(set) var workerEnd: Int32
    private let reader: Int32

    init() throws {
        var reader: Int32 = -1
        let writer = gatehouse_write_only_memfd("gatehouse-blame", Self.recordBytes, &reader)
        guard writer >= 0 else { throw SandboxWorker.Failure.notStarted("memfd_create: \(String(cString: strerror(errno)))") }
        self.workerEnd = writer
        self.reader = reader
        var generator = SystemRandomNumberGenerator()
        self.nonce = (0..<2).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(to: 16) }.joined()
    }

    /// Closes this process's copy of the worker's end, once the worker holds it.
    func closeWorkerEnd() {
        if workerEnd >= 0 { close(workerEnd) }
        workerEnd = -1
    }

    /// The version id the runner last recorded as running; `nil` when it recorded none (the
    /// worker died before its first action) or the record does not carry the nonce.
    func runningVersion() -> String? {
        var bytes = [UInt8](repeating: 0, count: Self.recordBytes)
        let count = bytes.withUnsafeMutableBytes { pread(reader, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes[0..<count], as: UTF8.self)
        guard let line = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first,
            line.hasPrefix(nonce + " ")
        else { return nil }
        let version = line.dropFirst(nonce.count + 1)
        return version.isEmpty ? nil : String(version)
    }

    deinit {
        closeWorkerEnd()
        close(reader)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
