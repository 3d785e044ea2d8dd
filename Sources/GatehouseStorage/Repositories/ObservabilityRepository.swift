import GatehouseCore
import SQLKit

/// Execution records and the tenant log.
public protocol ObservabilityRepository: Sendable {
    func insert(executions: [ExecutionRecord], logs: [LogRecord], at: EpochMillis) async throws
    func execution(_ id: String) async throws -> ExecutionRecord?
    /// Newest first.
    func logs(_ page: PageRequest) async throws -> Page<LogRecord>
    /// One log event by its `log_id`.
    func log(_ id: String) async throws -> LogRecord?
    /// One page of the log events whose document `matches` (a `q` search), newest first.
    func logs(_ page: PageRequest, matching matches: @Sendable (JSONValue) -> Bool) async throws -> Page<LogRecord>
    /// Removes executions and logs older than `cutoff`.
    func purge(before cutoff: EpochMillis) async throws
}

struct SQLObservabilityRepository: ObservabilityRepository {
    let db: any SQLDatabase

    /// Rows per multi-row `INSERT` (4 parameters each, well under SQLite's 999).
    static let rowsPerStatement = 100

    func insert(executions: [ExecutionRecord], logs: [LogRecord], at: EpochMillis) async throws {
        for chunk in executions.chunked(Self.rowsPerStatement) {
            let insert = db.insert(into: "action_executions").columns("id", "trigger_id", "document", "created_at")
            for execution in chunk {
                insert.values(SQLBind(execution.id), SQLBind(execution.trigger_id), SQLBind(execution.document), SQLBind(at))
            }
            try await insert.run()
        }
        for chunk in logs.chunked(Self.rowsPerStatement) {
            let insert = db.insert(into: "tenant_logs").columns("log_id", "type", "document", "created_at")
            for log in chunk { insert.values(SQLBind(log.log_id), SQLBind(log.type), SQLBind(log.document), SQLBind(at)) }
            try await insert.run()
        }
    }

    func execution(_ id: String) async throws -> ExecutionRecord? {
        try await db.select().columns("id", "document").from("action_executions").where("id", .equal, id).first()
            .map { try DocumentCoding.decode(ExecutionRecord.self, from: $0, table: "action_executions", id: id) }
    }

    func logs(_ page: PageRequest) async throws -> Page<LogRecord> {
        try await db.page(of: "tenant_logs", columns: ["log_id", "document"], order: ["created_at", "log_id"], descending: true, page) {
            try DocumentCoding.decode(LogRecord.self, from: $0, table: "tenant_logs", id: try $0.decode(column: "log_id", as: String.self))
        }
    }

    func log(_ id: String) async throws -> LogRecord? {
        try await db.select().columns("log_id", "document").from("tenant_logs").where("log_id", .equal, id).first().map {
            try DocumentCoding.decode(LogRecord.self, from: $0, table: "tenant_logs", id: id)
        }
    }

    func logs(_ page: PageRequest, matching matches: @Sendable (JSONValue) -> Bool) async throws -> Page<LogRecord> {
        try await db.searchPage(
            of: "tenant_logs", idColumn: "log_id", order: ["created_at", "log_id"], descending: true, page, matches: matches
        ) {
            try DocumentCoding.decode(LogRecord.self, from: $0, table: "tenant_logs", id: try $0.decode(column: "log_id", as: String.self))
        }
    }

    func purge(before cutoff: EpochMillis) async throws {
        try await db.delete(from: "action_executions").where("created_at", .lessThan, cutoff).run()
        try await db.delete(from: "tenant_logs").where("created_at", .lessThan, cutoff).run()
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
