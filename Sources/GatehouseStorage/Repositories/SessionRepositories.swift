import GatehouseCore
import SQLKit

/// SSO sessions. A session has two values: its public `id` (the ID token's `sid`, Actions'
/// `event.session.id`, what logs and refresh tokens name) and the secret of its cookie, stored
/// only as its SHA-256 (`SecretComparison.digest`), so neither a relying party, an action nor a
/// copy of the database holds a live session.
public protocol SessionRepository: Sendable {
    /// The session whose cookie secret has this digest, if it is not revoked and has not expired at `now`.
    func active(secretHash: String, now: EpochMillis) async throws -> SessionRecord?
    /// The session with this public id, if it is not revoked and has not expired at `now`.
    func active(id: String, now: EpochMillis) async throws -> SessionRecord?
    func insert(_ session: SessionRecord, secretHash: String) async throws
    func update(_ session: SessionRecord) async throws
    func revoke(_ id: String, at: EpochMillis) async throws
    /// Applies what post-login actions asked for the session (`api.session.setMetadata`,
    /// `setExpiresAt`, …; `SessionChanges`) and returns it as stored, or `nil` when no session
    /// that is not revoked has this id. Throws `SessionMetadataError` (nothing written) when
    /// the metadata would break Auth0's limits.
    func apply(_ changes: SessionChanges, toSession id: String) async throws -> SessionRecord?
    /// The user's sessions that are neither revoked nor expired at `now`, newest first.
    func active(userID: String, now: EpochMillis) async throws -> [SessionRecord]
    /// Deletes sessions that expired, or were revoked, before `before`.
    func purge(endedBefore before: EpochMillis) async throws
}

struct SQLSessionRepository: SessionRepository {
    let db: any SQLDatabase

    func active(secretHash: String, now: EpochMillis) async throws -> SessionRecord? {
        try await activeWhere("secret_hash", secretHash, now: now)
    }

    func active(id: String, now: EpochMillis) async throws -> SessionRecord? {
        try await activeWhere("id", id, now: now)
    }

    private func activeWhere(_ column: String, _ value: String, now: EpochMillis) async throws -> SessionRecord? {
        guard
            let row = try await db.select().columns("id", "document").from("sessions").where(SQLIdentifier(column), .equal, value)
                .where("revoked_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now).first()
        else { return nil }
        return try DocumentCoding.decode(
            SessionRecord.self, from: row, table: "sessions", id: try row.decode(column: "id", as: String.self))
    }

    func insert(_ session: SessionRecord, secretHash: String) async throws {
        let document = try DocumentCoding.encode(session)
        try await db.insert(into: "sessions").columns("id", "user_id", "document", "created_at", "expires_at", "secret_hash")
            .values(
                SQLBind(session.id), SQLBind(session.user_id), SQLBind(document), SQLBind(session.created_at),
                SQLBind(session.endsAt), SQLBind(secretHash)
            ).run()
    }

    /// The `expires_at` column is when the session ends (`endsAt`: absolute or idle expiry,
    /// whichever comes first), so every lookup honours both.
    func update(_ session: SessionRecord) async throws {
        try await db.update("sessions").set("document", to: try DocumentCoding.encode(session))
            .set("expires_at", to: session.endsAt).where("id", .equal, session.id).run()
    }

    func apply(_ changes: SessionChanges, toSession id: String) async throws -> SessionRecord? {
        guard
            let row = try await db.select().columns("id", "document").from("sessions").where("id", .equal, id)
                .where("revoked_at", .is, SQLLiteral.null).first()
        else { return nil }
        let session = try DocumentCoding.decode(SessionRecord.self, from: row, table: "sessions", id: id)
        guard !changes.isEmpty else { return session }
        let changed = try session.applying(changes)
        try await update(changed)
        return changed
    }

    func revoke(_ id: String, at: EpochMillis) async throws {
        try await db.update("sessions").set("revoked_at", to: at).where("id", .equal, id).run()
    }

    func active(userID: String, now: EpochMillis) async throws -> [SessionRecord] {
        try await db.select().columns("id", "document").from("sessions").where("user_id", .equal, userID)
            .where("revoked_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now)
            .orderBy("created_at", .descending).limit(1_000).all()
            .map {
                try DocumentCoding.decode(SessionRecord.self, from: $0, table: "sessions", id: try $0.decode(column: "id", as: String.self))
            }
    }

    func purge(endedBefore before: EpochMillis) async throws {
        try await db.delete(from: "sessions").where("expires_at", .lessThan, before).run()
        try await db.delete(from: "sessions").where("revoked_at", .lessThan, before).run()
    }
}

public protocol LoginTransactionRepository: Sendable {
    func get(_ id: String, now: EpochMillis) async throws -> LoginTransactionRecord?
    func insert(_ transaction: LoginTransactionRecord) async throws
    func delete(_ id: String) async throws
    /// Removes transactions that expired before `now`.
    func purgeExpired(now: EpochMillis) async throws
}

struct SQLLoginTransactionRepository: LoginTransactionRepository {
    let db: any SQLDatabase

    func get(_ id: String, now: EpochMillis) async throws -> LoginTransactionRecord? {
        try await db.select().columns("id", "document").from("login_transactions").where("id", .equal, id)
            .where("expires_at", .greaterThan, now).first()
            .map { try DocumentCoding.decode(LoginTransactionRecord.self, from: $0, table: "login_transactions", id: id) }
    }

    func insert(_ transaction: LoginTransactionRecord) async throws {
        let document = try DocumentCoding.encode(transaction)
        try await db.insert(into: "login_transactions").columns("id", "document", "created_at", "expires_at")
            .values(
                SQLBind(transaction.id), SQLBind(document), SQLBind(Timestamp.nowMillis()),
                SQLBind(transaction.expires_at)
            ).run()
    }

    func delete(_ id: String) async throws {
        try await db.delete(from: "login_transactions").where("id", .equal, id).run()
    }

    func purgeExpired(now: EpochMillis) async throws {
        try await db.delete(from: "login_transactions").where("expires_at", .lessThanOrEqual, now).run()
    }
}

public protocol AuthorizationCodeRepository: Sendable {
    func insert(codeHash: String, _ code: AuthorizationCodeRecord) async throws
    /// Marks the code used and returns it, once: a second call for the same code returns `nil`
    /// (RFC 6749 §4.1.2: a code is single-use). Expired codes are never returned.
    func consume(codeHash: String, now: EpochMillis) async throws -> AuthorizationCodeRecord?
    /// Notes the refresh-token family the code's exchange starts (before its tokens are issued).
    func setRefreshFamily(codeHash: String, familyID: String) async throws
    /// For a code that was already redeemed: the refresh-token family its exchange started
    /// (`""` when none); `nil` when no such code was ever redeemed.
    func redeemedFamily(codeHash: String) async throws -> String?
    /// Deletes codes that expired before `before`.
    func purge(expiredBefore before: EpochMillis) async throws
}

struct SQLAuthorizationCodeRepository: AuthorizationCodeRepository {
    let db: any SQLDatabase

    func insert(codeHash: String, _ code: AuthorizationCodeRecord) async throws {
        let document = try DocumentCoding.encode(code)
        try await db.insert(into: "authorization_codes").columns("code_hash", "document", "expires_at")
            .values(SQLBind(codeHash), SQLBind(document), SQLBind(code.expires_at)).run()
    }

    func consume(codeHash: String, now: EpochMillis) async throws -> AuthorizationCodeRecord? {
        // The conditional update is the lock: only one concurrent redemption sees its row change.
        let claimed = try await db.update("authorization_codes").set("consumed_at", to: now)
            .where("code_hash", .equal, codeHash).where("consumed_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, now).returning("document").first()
        return try claimed.map {
            try DocumentCoding.decode(AuthorizationCodeRecord.self, from: $0, table: "authorization_codes", id: "code")
        }
    }

    func setRefreshFamily(codeHash: String, familyID: String) async throws {
        try await db.update("authorization_codes").set("refresh_family_id", to: familyID).where("code_hash", .equal, codeHash).run()
    }

    func redeemedFamily(codeHash: String) async throws -> String? {
        guard
            let row = try await db.select().columns("refresh_family_id").from("authorization_codes")
                .where("code_hash", .equal, codeHash).where("consumed_at", .isNot, SQLLiteral.null).first()
        else { return nil }
        return try row.decode(column: "refresh_family_id", as: String?.self) ?? ""
    }

    func purge(expiredBefore before: EpochMillis) async throws {
        try await db.delete(from: "authorization_codes").where("expires_at", .lessThan, before).run()
    }
}

public protocol RefreshTokenRepository: Sendable {
    func insert(tokenHash: String, _ token: RefreshTokenRecord) async throws
    func find(tokenHash: String) async throws -> RefreshTokenRecord?
    /// Marks an active token rotated; `false` when it was already rotated or revoked (a reuse).
    func markRotated(id: String, at: EpochMillis) async throws -> Bool
    func revokeFamily(_ familyID: String, at: EpochMillis) async throws
    func revoke(id: String, at: EpochMillis) async throws
    /// Applies what post-login actions asked for the token (`api.refreshToken.setMetadata`,
    /// `setExpiresAt`, …; `SessionChanges`) and returns it as stored, or `nil` when no token
    /// has this id. Throws `SessionMetadataError` (nothing written) when the metadata would
    /// break Auth0's limits.
    func apply(_ changes: SessionChanges, toToken id: String) async throws -> RefreshTokenRecord?
    /// The token with this id, as `find` returns it.
    func get(id: String) async throws -> RefreshTokenRecord?
    /// The user's refresh tokens that can still be exchanged at `now` (not rotated, revoked or
    /// expired), newest first.
    func active(userID: String, now: EpochMillis) async throws -> [RefreshTokenRecord]
    /// Revokes every token of the user's families that belong to `sessionID` (or all of the
    /// user's when `nil`).
    func revokeAll(userID: String, sessionID: String?, at: EpochMillis) async throws
    /// Deletes tokens that expired, or were revoked, before `before`.
    func purge(endedBefore before: EpochMillis) async throws
}

struct SQLRefreshTokenRepository: RefreshTokenRepository {
    let db: any SQLDatabase

    func insert(tokenHash: String, _ token: RefreshTokenRecord) async throws {
        let document = try DocumentCoding.encode(token)
        try await db.insert(into: "refresh_tokens")
            .columns("id", "token_hash", "family_id", "client_id", "user_id", "document", "created_at", "expires_at")
            .values(
                SQLBind(token.id), SQLBind(tokenHash), SQLBind(token.family_id), SQLBind(token.client_id),
                SQLBind(token.user_id), SQLBind(document), SQLBind(token.created_at), SQLBind(token.endsAt)
            ).run()
    }

    /// The `expires_at` column is when the token ends (`endsAt`), so listings and purges
    /// honour an idle expiry too.
    func apply(_ changes: SessionChanges, toToken id: String) async throws -> RefreshTokenRecord? {
        guard let token = try await get(id: id) else { return nil }
        guard !changes.isEmpty else { return token }
        let changed = try token.applying(changes)
        try await db.update("refresh_tokens").set("document", to: try DocumentCoding.encode(changed))
            .set("expires_at", to: changed.endsAt).where("id", .equal, id).run()
        return changed
    }

    func find(tokenHash: String) async throws -> RefreshTokenRecord? {
        guard
            let row = try await db.select().columns("id", "document", "rotated_at", "revoked_at").from("refresh_tokens")
                .where("token_hash", .equal, tokenHash).first()
        else { return nil }
        return try Self.token(from: row)
    }

    func markRotated(id: String, at: EpochMillis) async throws -> Bool {
        let changed = try await db.update("refresh_tokens").set("rotated_at", to: at).where("id", .equal, id)
            .where("rotated_at", .is, SQLLiteral.null).where("revoked_at", .is, SQLLiteral.null)
            .returning("id").all()
        return !changed.isEmpty
    }

    func revokeFamily(_ familyID: String, at: EpochMillis) async throws {
        try await db.update("refresh_tokens").set("revoked_at", to: at).where("family_id", .equal, familyID)
            .where("revoked_at", .is, SQLLiteral.null).run()
    }

    func revoke(id: String, at: EpochMillis) async throws {
        try await db.update("refresh_tokens").set("revoked_at", to: at).where("id", .equal, id).run()
    }

    func get(id: String) async throws -> RefreshTokenRecord? {
        guard
            let row = try await db.select().columns("id", "document", "rotated_at", "revoked_at").from("refresh_tokens")
                .where("id", .equal, id).first()
        else { return nil }
        return try Self.token(from: row)
    }

    func active(userID: String, now: EpochMillis) async throws -> [RefreshTokenRecord] {
        try await db.select().columns("id", "document", "rotated_at", "revoked_at").from("refresh_tokens")
            .where("user_id", .equal, userID).where("rotated_at", .is, SQLLiteral.null).where("revoked_at", .is, SQLLiteral.null)
            .where(group: { $0.where("expires_at", .is, SQLLiteral.null).orWhere("expires_at", .greaterThan, now) })
            .orderBy("created_at", .descending).limit(1_000).all().map(Self.token(from:))
    }

    func revokeAll(userID: String, sessionID: String?, at: EpochMillis) async throws {
        for token in try await active(userID: userID, now: at) where sessionID == nil || token.session_id == sessionID {
            try await revokeFamily(token.family_id, at: at)
        }
    }

    func purge(endedBefore before: EpochMillis) async throws {
        try await db.delete(from: "refresh_tokens").where("expires_at", .lessThan, before).run()
        try await db.delete(from: "refresh_tokens").where("revoked_at", .lessThan, before).run()
    }

    static func token(from row: any SQLRow) throws -> RefreshTokenRecord {
        var token = try DocumentCoding.decode(
            RefreshTokenRecord.self, from: row, table: "refresh_tokens", id: try row.decode(column: "id", as: String.self))
        token.rotated_at = try row.decode(column: "rotated_at", as: Int64?.self)
        token.revoked_at = try row.decode(column: "revoked_at", as: Int64?.self)
        return token
    }
}

/// Suspended logins (`LoginSuspensionRecord`), each resumed at most once.
public protocol LoginSuspensionRepository: Sendable {
    func insert(stateHash: String, _ suspension: LoginSuspensionRecord) async throws
    /// What `stateHash` names at `now`, without using it up (for error pages and MFA screens).
    func find(stateHash: String, now: EpochMillis) async throws -> LoginSuspensionLookup
    /// Marks the suspension used and returns it, once: a second call returns `nil`, as does an
    /// expired suspension. The conditional update is the lock between concurrent resumes.
    func consume(stateHash: String, now: EpochMillis) async throws -> LoginSuspensionRecord?
    /// Replaces the stored login of a live suspension (an MFA step met, a code sent); `false`
    /// when it was used or expired meanwhile.
    func update(stateHash: String, login: JSONValue, now: EpochMillis) async throws -> Bool
    /// Makes a consumed suspension live again: the resume that consumed it could not run the
    /// flow (the Actions platform failed), and the person may simply try again.
    func release(stateHash: String) async throws
    /// Deletes suspensions that expired before `before`.
    func purge(expiredBefore before: EpochMillis) async throws
}

struct SQLLoginSuspensionRepository: LoginSuspensionRepository {
    let db: any SQLDatabase

    func insert(stateHash: String, _ suspension: LoginSuspensionRecord) async throws {
        try await db.insert(into: "login_suspensions").columns("state_hash", "user_id", "document", "created_at", "expires_at")
            .values(
                SQLBind(stateHash), SQLBind(suspension.user_id), SQLBind(try DocumentCoding.encode(suspension)),
                SQLBind(suspension.created_at), SQLBind(suspension.expires_at)
            ).run()
    }

    func find(stateHash: String, now: EpochMillis) async throws -> LoginSuspensionLookup {
        guard
            let row = try await db.select().columns("document", "expires_at", "consumed_at").from("login_suspensions")
                .where("state_hash", .equal, stateHash).first()
        else { return .unknown }
        if try row.decode(column: "consumed_at", as: EpochMillis?.self) != nil { return .consumed }
        if try row.decode(column: "expires_at", as: EpochMillis.self) <= now { return .expired }
        return .live(try DocumentCoding.decode(LoginSuspensionRecord.self, from: row, table: "login_suspensions", id: "state"))
    }

    func consume(stateHash: String, now: EpochMillis) async throws -> LoginSuspensionRecord? {
        let claimed = try await db.update("login_suspensions").set("consumed_at", to: now)
            .where("state_hash", .equal, stateHash).where("consumed_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, now).returning("document").first()
        return try claimed.map { try DocumentCoding.decode(LoginSuspensionRecord.self, from: $0, table: "login_suspensions", id: "state") }
    }

    func update(stateHash: String, login: JSONValue, now: EpochMillis) async throws -> Bool {
        guard case .live(var record) = try await find(stateHash: stateHash, now: now) else { return false }
        record.login = login
        let updated = try await db.update("login_suspensions").set("document", to: try DocumentCoding.encode(record))
            .where("state_hash", .equal, stateHash).where("consumed_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, now).returning("state_hash").all()
        return !updated.isEmpty
    }

    func release(stateHash: String) async throws {
        try await db.update("login_suspensions").set("consumed_at", to: SQLLiteral.null).where("state_hash", .equal, stateHash)
            .run()
    }

    func purge(expiredBefore before: EpochMillis) async throws {
        try await db.delete(from: "login_suspensions").where("expires_at", .lessThan, before).run()
    }
}
