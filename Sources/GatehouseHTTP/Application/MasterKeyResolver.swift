import Foundation
import GatehouseCore
import GatehouseStorage
import Logging

/// Where the master key comes from: `GATEHOUSE_MASTER_KEY`, or — for the zero-set-up SQLite
/// default only — a key file beside the database, created on first start with a warning.
enum MasterKeyResolver {
    enum Failure: Error, CustomStringConvertible {
        case requiredForPostgres
        case keyFileNotWritable(String)
        case keyFileNotReadable(String)

        var description: String {
            switch self {
            case .requiredForPostgres:
                "GATEHOUSE_MASTER_KEY is required with PostgreSQL: every instance must share it (generate one with `openssl rand -base64 32`)"
            case .keyFileNotWritable(let path):
                "cannot write the generated master key to \(path): make its directory writable, or set GATEHOUSE_MASTER_KEY (generate one with `openssl rand -base64 32`)"
            case .keyFileNotReadable(let path):
                "the master key file \(path) exists but cannot be read: give the server's user read access to it (it is never replaced, since the data encrypted with it would be lost)"
            }
        }
    }

    static func resolve(_ configuration: GatehouseConfiguration, logger: Logger) throws -> MasterKey {
        if let base64 = configuration.masterKey, !base64.isEmpty {
            return try MasterKey(base64: base64)
        }
        if configuration.databaseURL.hasPrefix("postgres") { throw Failure.requiredForPostgres }
        guard let databasePath = GatehouseDatabase.sqliteFilePath(of: configuration.databaseURL) else {
            logger.warning("no GATEHOUSE_MASTER_KEY: using a throw-away key for this in-memory database")
            return try MasterKey(base64: MasterKey.generateBase64())
        }
        let keyPath = databasePath + ".key"
        if FileManager.default.fileExists(atPath: keyPath) {
            guard let existing = try? String(contentsOfFile: keyPath, encoding: .utf8) else { throw Failure.keyFileNotReadable(keyPath) }
            return try MasterKey(base64: existing)
        }
        let generated = MasterKey.generateBase64()
        // A key that cannot be kept would make everything encrypted with it unreadable after a
        // restart. The file is created with mode 0600 from its first byte, and never over an
        // existing one.
        do { try PrivateFiles.create(generated + "\n", at: keyPath) } catch { throw Failure.keyFileNotWritable(keyPath) }
        logger.warning(
            "no GATEHOUSE_MASTER_KEY: generated a master key file beside the database; keep it with the database and set GATEHOUSE_MASTER_KEY in production",
            metadata: ["key_file": "\(keyPath)"])
        return try MasterKey(base64: generated)
    }
}
