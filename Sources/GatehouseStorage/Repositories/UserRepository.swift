import GatehouseCore
import SQLKit

public protocol UserRepository: Sendable {
    func get(_ userID: String) async throws -> UserRecord?
    /// The user of `connection` whose email or username is `login` (case-insensitive).
    func find(connection: String, login: String) async throws -> UserRecord?
    func find(email: String) async throws -> [UserRecord]
    func list(_ page: PageRequest) async throws -> Page<UserRecord>
    /// One page of the users whose stored document `matches` (a `q` search), oldest first.
    func search(_ page: PageRequest, matching matches: @Sendable (JSONValue) -> Bool) async throws -> Page<UserRecord>
    func insert(_ user: UserRecord, passwordHash: String?) async throws
    func update(_ user: UserRecord) async throws
    func passwordHash(_ userID: String) async throws -> String?
    /// Replaces the user's password hash; the one it replaces joins the user's password history
    /// (Auth0's `password_history`), which keeps the last 24.
    func setPasswordHash(_ userID: String, _ hash: String) async throws
    /// The user's earlier password hashes, newest first (at most `limit`).
    func passwordHistory(_ userID: String, limit: Int) async throws -> [String]
    func delete(_ userID: String) async throws -> Bool
}

struct SQLUserRepository: UserRepository {
    let db: any SQLDatabase

    private func decode(_ row: any SQLRow) throws -> UserRecord {
        try DocumentCoding.decode(
            UserRecord.self, from: row, table: "users", id: try row.decode(column: "user_id", as: String.self))
    }

    private var base: SQLSelectBuilder { db.select().columns("user_id", "document").from("users") }

    func get(_ userID: String) async throws -> UserRecord? {
        try await base.where("user_id", .equal, userID).first().map(decode)
    }

    func find(connection: String, login: String) async throws -> UserRecord? {
        let key = login.lowercased()
        return try await base.where("connection", .equal, connection)
            .where { $0.where("email_key", .equal, key).orWhere("username_key", .equal, key) }
            .first().map(decode)
    }

    func find(email: String) async throws -> [UserRecord] {
        try await base.where("email_key", .equal, email.lowercased()).orderBy("created_at").all().map(decode)
    }

    func list(_ page: PageRequest) async throws -> Page<UserRecord> {
        try await db.page(of: "users", columns: ["user_id", "document"], order: ["created_at", "user_id"], page, decode: decode)
    }

    func search(_ page: PageRequest, matching matches: @Sendable (JSONValue) -> Bool) async throws -> Page<UserRecord> {
        try await db.searchPage(of: "users", idColumn: "user_id", order: ["created_at", "user_id"], page, matches: matches, decode: decode)
    }

    func insert(_ user: UserRecord, passwordHash: String?) async throws {
        let document = try DocumentCoding.encode(user)
        try await db.insertUnique("a user with this email or username") { db in
            db.insert(into: "users")
                .columns("user_id", "connection", "email_key", "username_key", "password_hash", "document", "created_at")
                .values(
                    SQLBind(user.user_id), SQLBind(user.connection), SQLBind(user.email?.lowercased()),
                    SQLBind(user.username?.lowercased()), SQLBind(passwordHash), SQLBind(document),
                    SQLBind(Timestamp.nowMillis()))
        }
    }

    func update(_ user: UserRecord) async throws {
        do {
            try await db.update("users").set("document", to: try DocumentCoding.encode(user))
                .set("email_key", to: user.email?.lowercased()).set("username_key", to: user.username?.lowercased())
                .where("user_id", .equal, user.user_id).run()
        } catch  where StorageError.isUniqueViolation(error) {
            throw StorageError.conflict("a user with this email or username")
        }
    }

    func passwordHash(_ userID: String) async throws -> String? {
        try await db.select().column("password_hash").from("users").where("user_id", .equal, userID).first()?
            .decode(column: "password_hash", as: String?.self)
    }

    /// How many earlier hashes are kept: Auth0's largest `password_history.size`.
    static let historyKept = 24

    func setPasswordHash(_ userID: String, _ hash: String) async throws {
        if let previous = try await passwordHash(userID) {
            let now = Timestamp.nowMillis()
            try await db.insert(into: "password_history").columns("id", "user_id", "password_hash", "created_at")
                .values(SQLBind(RandomIdentifier.hex(byteCount: 12)), SQLBind(userID), SQLBind(previous), SQLBind(now)).run()
            let kept = try await db.select().column("id").from("password_history").where("user_id", .equal, userID)
                .orderBy("created_at", .descending).orderBy("id", .descending).limit(Self.historyKept).all()
                .map { try $0.decode(column: "id", as: String.self) }
            try await db.delete(from: "password_history").where("user_id", .equal, userID)
                .where("id", .notIn, kept).run()
        }
        try await db.update("users").set("password_hash", to: hash).where("user_id", .equal, userID).run()
    }

    func passwordHistory(_ userID: String, limit: Int) async throws -> [String] {
        try await db.select().column("password_hash").from("password_history").where("user_id", .equal, userID)
            .orderBy("created_at", .descending).orderBy("id", .descending).limit(max(0, limit)).all()
            .map { try $0.decode(column: "password_hash", as: String.self) }
    }

    func delete(_ userID: String) async throws -> Bool {
        guard try await get(userID) != nil else { return false }
        try await db.delete(from: "user_roles").where("user_id", .equal, userID).run()
        try await db.delete(from: "password_history").where("user_id", .equal, userID).run()
        try await db.delete(from: "sessions").where("user_id", .equal, userID).run()
        try await db.delete(from: "refresh_tokens").where("user_id", .equal, userID).run()
        try await db.delete(from: "users").where("user_id", .equal, userID).run()
        return true
    }
}
