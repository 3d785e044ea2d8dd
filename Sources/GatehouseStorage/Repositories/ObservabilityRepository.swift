import GatehouseCore
import SQLKit

/// Execution records and the tenant log.
public protocol ObservabilityRepository: Sendable {
    func insert(executions: [ExecutionRecord], logs: [LogRecord], at: EpochMillis) async throws
    func execution(_ id: String) async throws -> ExecutionRecord?
    /// Newest first.
    func logs(_ page: PageRequest) async throws -> Page<LogRecord>
    /// Removes executions and logs older than `cutoff`.
    func purge(before cutoff: EpochMillis) async throws
}

struct SQLObservabilityRepository: ObservabilityRepository {
    let db: any SQLDatabase

    func insert(executions: [ExecutionRecord], logs: [LogRecord], at: EpochMillis) async throws {
        for execution in executions {
            try await db.insert(into: "action_executions").columns("id", "trigger_id", "document", "created_at")
                .values(SQLBind(execution.id), SQLBind(execution.trigger_id), SQLBind(try DocumentCoding.encode(execution)), SQLBind(at))
                .run()
        }
        for log in logs {
            try await db.insert(into: "tenant_logs").columns("log_id", "type", "document", "created_at")
                .values(SQLBind(log.log_id), SQLBind(log.type), SQLBind(try DocumentCoding.encode(log)), SQLBind(at)).run()
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

    func purge(before cutoff: EpochMillis) async throws {
        try await db.delete(from: "action_executions").where("created_at", .lessThan, cutoff).run()
        try await db.delete(from: "tenant_logs").where("created_at", .lessThan, cutoff).run()
    }
}
