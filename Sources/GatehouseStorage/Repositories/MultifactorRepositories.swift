import GatehouseCore
import SQLKit

/// Users' authenticators and the one-time codes sent to their phones. Every check that must
/// hold once — a TOTP time step used once, a recovery code used once, a bounded number of guesses
/// at an SMS code — is one conditional statement, so concurrent requests cannot both pass it.
public protocol MultifactorRepository: Sendable {
    /// Stores a new authenticator; `totpSecret` is sealed with the master key, `secretHash` (a
    /// recovery code's SHA-256) is stored as given.
    func insert(_ enrollment: MultifactorEnrollmentRecord, totpSecret: String?, secretHash: String?) async throws
    func get(_ id: String) async throws -> MultifactorEnrollmentRecord?
    /// The user's authenticators, oldest first.
    func enrollments(userID: String) async throws -> [MultifactorEnrollmentRecord]
    /// The TOTP key of a `totp` authenticator, unsealed.
    func totpSecret(_ id: String) async throws -> String?
    /// Marks a pending authenticator confirmed; `false` when it is not pending (any more).
    func confirm(_ id: String, at: EpochMillis) async throws -> Bool
    /// Records that TOTP time step `step` was used, only if no step at or after it was used
    /// before (`false`: a replay).
    func useTOTPStep(_ id: String, step: Int64, at: EpochMillis) async throws -> Bool
    /// Replaces the user's recovery code whose SHA-256 is `oldHash` by `newHash`, once: `nil`
    /// when no recovery code of the user has that hash (wrong, or already used).
    func replaceRecoveryCode(userID: String, oldHash: String, newHash: String, at: EpochMillis) async throws
        -> MultifactorEnrollmentRecord?
    /// Notes a successful authentication with the authenticator.
    func touch(_ id: String, at: EpochMillis) async throws
    /// Deletes one authenticator (and its pending code); `false` when there was none.
    func delete(_ id: String) async throws -> Bool
    /// Deletes the user's authenticators of `kinds` (all of them when `nil`), with their codes;
    /// returns how many went.
    func deleteAll(userID: String, kinds: [MultifactorEnrollmentRecord.Kind]?) async throws -> Int

    /// Stores the code just sent for an authenticator, replacing any earlier one (so only the
    /// latest code works) and starting its attempt count at 0.
    func storeCode(_ code: MultifactorCodeRecord) async throws
    /// The authenticator's current code (expired or not), without counting a guess: what a
    /// delayed delivery checks before sending it.
    func code(enrollmentID: String) async throws -> MultifactorCodeRecord?
    /// Counts one guess at the authenticator's code and returns the code with the count
    /// including it, if it has not expired and had fewer than `maxAttempts` guesses before.
    func attemptCode(enrollmentID: String, maxAttempts: Int, now: EpochMillis) async throws -> MultifactorCodeRecord?
    /// Deletes the authenticator's code, once: `false` when another request used it first.
    func consumeCode(enrollmentID: String, codeHash: String) async throws -> Bool
    /// Deletes codes that expired before `now`.
    func purgeCodes(expiredBefore now: EpochMillis) async throws
}

/// Browsers whose user asked not to be challenged again for a while ("remember this browser",
/// Auth0's `allowRememberBrowser`), by the SHA-256 of the browser's cookie.
public protocol RememberedBrowserRepository: Sendable {
    func remember(tokenHash: String, userID: String, createdAt: EpochMillis, expiresAt: EpochMillis) async throws
    /// Whether `tokenHash` remembers this user's browser at `now`.
    func isRemembered(tokenHash: String, userID: String, now: EpochMillis) async throws -> Bool
    /// Forgets every browser of the user (Auth0's invalidate-remember-browser).
    func forget(userID: String) async throws
    func purge(expiredBefore now: EpochMillis) async throws
}

/// The tenant's Guardian settings: which factors are enabled and the phone factor's provider.
public protocol GuardianSettingsRepository: Sendable {
    /// Every stored setting, by name (`factor.otp` = `true`, `phone.selected_provider` = …).
    func all() async throws -> [String: String]
    func set(_ name: String, _ value: String) async throws
}

struct SQLMultifactorRepository: MultifactorRepository {
    let db: any SQLDatabase
    let masterKey: MasterKey

    static let columns = ["id", "user_id", "type", "status", "phone_number", "created_at", "last_auth_at"]

    static func enrollment(_ row: any SQLRow) throws -> MultifactorEnrollmentRecord {
        let id = try row.decode(column: "id", as: String.self)
        guard let kind = MultifactorEnrollmentRecord.Kind(rawValue: try row.decode(column: "type", as: String.self)),
            let status = MultifactorEnrollmentRecord.Status(rawValue: try row.decode(column: "status", as: String.self))
        else { throw StorageError.corruptDocument(table: "mfa_enrollments", id: id) }
        return MultifactorEnrollmentRecord(
            id: id, user_id: try row.decode(column: "user_id", as: String.self), kind: kind, status: status,
            phone_number: try row.decode(column: "phone_number", as: String?.self),
            created_at: try row.decode(column: "created_at", as: Int64.self),
            last_auth_at: try row.decode(column: "last_auth_at", as: Int64?.self))
    }

    func insert(_ enrollment: MultifactorEnrollmentRecord, totpSecret: String?, secretHash: String?) async throws {
        let sealed = try totpSecret.map { try masterKey.seal($0) }
        try await db.insertUnique("authenticator \(enrollment.id)") { db in
            db.insert(into: "mfa_enrollments")
                .columns(Self.columns + ["sealed_secret", "secret_hash"])
                .values(
                    SQLBind(enrollment.id), SQLBind(enrollment.user_id), SQLBind(enrollment.kind.rawValue),
                    SQLBind(enrollment.status.rawValue), SQLBind(enrollment.phone_number), SQLBind(enrollment.created_at),
                    SQLBind(enrollment.last_auth_at), SQLBind(sealed), SQLBind(secretHash))
        }
    }

    func get(_ id: String) async throws -> MultifactorEnrollmentRecord? {
        try await db.select().columns(Self.columns).from("mfa_enrollments").where("id", .equal, id).first().map(Self.enrollment)
    }

    func enrollments(userID: String) async throws -> [MultifactorEnrollmentRecord] {
        try await db.select().columns(Self.columns).from("mfa_enrollments").where("user_id", .equal, userID)
            .orderBy("created_at").orderBy("id").limit(1_000).all().map(Self.enrollment)
    }

    func totpSecret(_ id: String) async throws -> String? {
        guard
            let sealed = try await db.select().column("sealed_secret").from("mfa_enrollments").where("id", .equal, id)
                .where("type", .equal, MultifactorEnrollmentRecord.Kind.totp.rawValue).first()?
                .decode(column: "sealed_secret", as: String?.self)
        else { return nil }
        return try masterKey.open(sealed)
    }

    func confirm(_ id: String, at: EpochMillis) async throws -> Bool {
        try await db.update("mfa_enrollments").set("status", to: MultifactorEnrollmentRecord.Status.confirmed.rawValue)
            .set("last_auth_at", to: at).where("id", .equal, id)
            .where("status", .equal, MultifactorEnrollmentRecord.Status.pending.rawValue).returning("id").first() != nil
    }

    func useTOTPStep(_ id: String, step: Int64, at: EpochMillis) async throws -> Bool {
        try await db.update("mfa_enrollments").set("last_used_step", to: step).set("last_auth_at", to: at)
            .where("id", .equal, id)
            .where(group: { $0.where("last_used_step", .is, SQLLiteral.null).orWhere("last_used_step", .lessThan, step) })
            .returning("id").first() != nil
    }

    func replaceRecoveryCode(userID: String, oldHash: String, newHash: String, at: EpochMillis) async throws
        -> MultifactorEnrollmentRecord?
    {
        try await db.update("mfa_enrollments").set("secret_hash", to: newHash).set("last_auth_at", to: at)
            .where("user_id", .equal, userID).where("type", .equal, MultifactorEnrollmentRecord.Kind.recoveryCode.rawValue)
            .where("secret_hash", .equal, oldHash).returning(Self.columns.map { SQLColumn($0) as any SQLExpression }).first().map(
                Self.enrollment)
    }

    func touch(_ id: String, at: EpochMillis) async throws {
        try await db.update("mfa_enrollments").set("last_auth_at", to: at).where("id", .equal, id).run()
    }

    func delete(_ id: String) async throws -> Bool {
        try await db.delete(from: "mfa_codes").where("enrollment_id", .equal, id).run()
        return try await db.delete(from: "mfa_enrollments").where("id", .equal, id).returning("id").first() != nil
    }

    func deleteAll(userID: String, kinds: [MultifactorEnrollmentRecord.Kind]?) async throws -> Int {
        var query = db.select().column("id").from("mfa_enrollments").where("user_id", .equal, userID)
        if let kinds { query = query.where("type", .in, kinds.map(\.rawValue)) }
        let ids = try await query.limit(1_000).all().map { try $0.decode(column: "id", as: String.self) }
        guard !ids.isEmpty else { return 0 }
        try await db.delete(from: "mfa_codes").where("enrollment_id", .in, ids).run()
        try await db.delete(from: "mfa_enrollments").where("id", .in, ids).run()
        return ids.count
    }

    func storeCode(_ code: MultifactorCodeRecord) async throws {
        try await db.raw(
            """
            INSERT INTO mfa_codes (enrollment_id, user_id, code_hash, attempts, created_at, expires_at)
            VALUES (\(bind: code.enrollment_id), \(bind: code.user_id), \(bind: code.code_hash), 0,
                CAST(\(bind: code.created_at) AS BIGINT), CAST(\(bind: code.expires_at) AS BIGINT))
            ON CONFLICT (enrollment_id) DO UPDATE SET
                code_hash = excluded.code_hash, attempts = 0, created_at = excluded.created_at, expires_at = excluded.expires_at
            """
        ).run()
    }

    func code(enrollmentID: String) async throws -> MultifactorCodeRecord? {
        try await db.select().columns("enrollment_id", "user_id", "code_hash", "attempts", "created_at", "expires_at").from("mfa_codes")
            .where("enrollment_id", .equal, enrollmentID).first().map(Self.codeRecord)
    }

    func attemptCode(enrollmentID: String, maxAttempts: Int, now: EpochMillis) async throws -> MultifactorCodeRecord? {
        try await db.update("mfa_codes").set("attempts", to: SQLRaw("attempts + 1"))
            .where("enrollment_id", .equal, enrollmentID).where("expires_at", .greaterThan, now)
            .where("attempts", .lessThan, Int64(maxAttempts))
            .returning("enrollment_id", "user_id", "code_hash", "attempts", "created_at", "expires_at").first().map(Self.codeRecord)
    }

    static func codeRecord(_ row: any SQLRow) throws -> MultifactorCodeRecord {
        MultifactorCodeRecord(
            enrollment_id: try row.decode(column: "enrollment_id", as: String.self),
            user_id: try row.decode(column: "user_id", as: String.self),
            code_hash: try row.decode(column: "code_hash", as: String.self), attempts: try row.decode(column: "attempts", as: Int.self),
            created_at: try row.decode(column: "created_at", as: Int64.self),
            expires_at: try row.decode(column: "expires_at", as: Int64.self))
    }

    func consumeCode(enrollmentID: String, codeHash: String) async throws -> Bool {
        try await db.delete(from: "mfa_codes").where("enrollment_id", .equal, enrollmentID).where("code_hash", .equal, codeHash)
            .returning("enrollment_id").first() != nil
    }

    func purgeCodes(expiredBefore now: EpochMillis) async throws {
        try await db.delete(from: "mfa_codes").where("expires_at", .lessThan, now).run()
    }
}

struct SQLRememberedBrowserRepository: RememberedBrowserRepository {
    let db: any SQLDatabase

    func remember(tokenHash: String, userID: String, createdAt: EpochMillis, expiresAt: EpochMillis) async throws {
        try await db.insert(into: "mfa_remembered_browsers").columns("token_hash", "user_id", "created_at", "expires_at")
            .values(SQLBind(tokenHash), SQLBind(userID), SQLBind(createdAt), SQLBind(expiresAt)).run()
    }

    func isRemembered(tokenHash: String, userID: String, now: EpochMillis) async throws -> Bool {
        try await db.select().column("token_hash").from("mfa_remembered_browsers").where("token_hash", .equal, tokenHash)
            .where("user_id", .equal, userID).where("expires_at", .greaterThan, now).first() != nil
    }

    func forget(userID: String) async throws {
        try await db.delete(from: "mfa_remembered_browsers").where("user_id", .equal, userID).run()
    }

    func purge(expiredBefore now: EpochMillis) async throws {
        try await db.delete(from: "mfa_remembered_browsers").where("expires_at", .lessThan, now).run()
    }
}

struct SQLGuardianSettingsRepository: GuardianSettingsRepository {
    let db: any SQLDatabase

    func all() async throws -> [String: String] {
        var settings: [String: String] = [:]
        for row in try await db.select().columns("name", "value").from("guardian_settings").all() {
            settings[try row.decode(column: "name", as: String.self)] = try row.decode(column: "value", as: String.self)
        }
        return settings
    }

    func set(_ name: String, _ value: String) async throws {
        try await db.raw(
            """
            INSERT INTO guardian_settings (name, value) VALUES (\(bind: name), \(bind: value))
            ON CONFLICT (name) DO UPDATE SET value = excluded.value
            """
        ).run()
    }
}
