import PostgresKit
import SQLiteKit

/// What a repository can report besides "not found" (which is `nil`).
public enum StorageError: Error, Equatable, CustomStringConvertible {
    /// A unique constraint refused the write: the record already exists.
    case conflict(String)
    /// A stored document no longer decodes: the database was written by an incompatible version.
    case corruptDocument(table: String, id: String)

    public var description: String {
        switch self {
        case .conflict(let what): "\(what) already exists"
        case .corruptDocument(let table, let id): "stored \(table) record \(id) cannot be read"
        }
    }

    /// Whether `error` is a unique-constraint violation from either engine.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let sqlite = error as? SQLiteError {
            return sqlite.reason == .constraintUniqueFailed || sqlite.reason == .constraintPrimaryKeyFailed
                || sqlite.reason == .constraint
        }
        if let postgres = error as? PSQLError {
            return postgres.serverInfo?[.sqlState] == "23505"
        }
        return false
    }
}
