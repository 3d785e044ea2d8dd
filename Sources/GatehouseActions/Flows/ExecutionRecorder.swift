import GatehouseCore
import GatehouseStorage
import Logging

/// Writes execution records and tenant log events off the request path: they are buffered and
/// written in one transaction every `interval` (and on `flush`), so a token request never waits
/// for a disk write. Reads through the API flush first, so an instance always reads its own writes:
/// `flush` returns only once every record handed over before it is committed, including a batch
/// another flush (the timer's) took and is still writing. Writes are chained, so they commit in
/// order. A crash loses at most one interval of records (never a login or a token).
public actor ExecutionRecorder {
    private let storage: Storage
    private let logger: Logger
    private let retentionMillis: EpochMillis
    private var executions: [ExecutionRecord] = []
    private var logs: [LogRecord] = []
    private var flushing: Task<Void, Never>?
    /// The last batch write started; each write waits for the one before it.
    private var lastWrite: Task<Void, Never>?
    private var lastPurge: EpochMillis = 0

    public init(storage: Storage, logger: Logger, retentionDays: Int = 10) {
        self.storage = storage
        self.logger = logger
        self.retentionMillis = EpochMillis(retentionDays) * 86_400_000
    }

    public func record(execution: ExecutionRecord? = nil, logs newLogs: [LogRecord] = []) {
        if let execution { executions.append(execution) }
        logs.append(contentsOf: newLogs)
        if flushing == nil {
            flushing = Task {
                try? await Task.sleep(for: .milliseconds(200))
                await self.flush()
            }
        }
    }

    /// Writes everything buffered now, and waits for writes already under way.
    public func flush() async {
        flushing = nil
        let previous = lastWrite
        guard !executions.isEmpty || !logs.isEmpty else {
            await previous?.value
            return
        }
        let batch = (executions, logs)
        executions = []
        logs = []
        let write = Task {
            await previous?.value
            await self.write(batch)
        }
        lastWrite = write
        await write.value
    }

    private func write(_ batch: ([ExecutionRecord], [LogRecord])) async {
        let now = Timestamp.nowMillis()
        let purge = now - lastPurge > 3_600_000 ? now - retentionMillis : nil
        if purge != nil { lastPurge = now }
        do {
            try await storage.transaction { repositories in
                try await repositories.observability.insert(executions: batch.0, logs: batch.1, at: now)
                if let purge { try await repositories.observability.purge(before: purge) }
            }
        } catch {
            logger.error("cannot write execution records", metadata: ["count": "\(batch.0.count + batch.1.count)", "error": "\(error)"])
        }
    }
}
