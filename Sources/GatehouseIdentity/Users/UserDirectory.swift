import GatehouseCore
import GatehouseStorage
import Logging

/// Users of database connections: sign-up and password authentication with throttling.
public struct UserDirectory: Sendable {
    let storage: Storage
    let passwords: PasswordHasher
    let configuration: GatehouseConfiguration
    let logger: Logger

    /// Why a password login failed, in words safe to show the person who typed it.
    public enum LoginFailure: Error, Equatable {
        case wrongCredentials
        case blocked
        case tooManyAttempts

        public var message: String {
            switch self {
            case .wrongCredentials: "Wrong email or password."
            case .blocked: "This account is blocked. Contact your administrator."
            case .tooManyAttempts: "Too many failed login attempts. Wait a few minutes and try again."
            }
        }

        /// The same failure as an OAuth error for the password grants (Auth0 answers 403).
        public var oauthError: OAuthError {
            switch self {
            case .wrongCredentials: OAuthError(.invalidGrant, "Wrong email or password.", status: 403)
            case .blocked: OAuthError(OAuthError.Code("unauthorized"), "user is blocked", status: 401)
            case .tooManyAttempts: OAuthError(.tooManyAttempts, message, status: 429)
            }
        }
    }

    /// What a finished login writes to its user, in one transaction with the rest of the login:
    /// the login itself (counters, last login, cleared failures) when the user authenticated,
    /// and the metadata the post-login flow asked for (`auth0-actions.md` §3.1: "written once").
    public struct LoginUpdate: Sendable {
        public var userID: String
        public var ip: String
        /// `false` when a session or refresh token is re-used: nothing is counted.
        public var countsAsLogin: Bool
        public var metadata: MetadataChanges

        public init(userID: String, ip: String, countsAsLogin: Bool, metadata: MetadataChanges = MetadataChanges()) {
            self.userID = userID
            self.ip = ip
            self.countsAsLogin = countsAsLogin
            self.metadata = metadata
        }

        /// Nothing to write: a re-used session or refresh token whose flow changed no metadata.
        public var isEmpty: Bool { !countsAsLogin && metadata.isEmpty }
    }

    /// Applies `update` within `repositories`' transaction; the user as written (`nil` when the
    /// user is gone or there was nothing to write).
    @discardableResult
    public static func write(_ update: LoginUpdate, in repositories: Repositories) async throws -> UserRecord? {
        guard !update.isEmpty, let current = try await repositories.users.get(update.userID) else {
            return nil
        }
        let now = Timestamp.nowMillis()
        var user = update.metadata.applied(to: current, at: now)
        if update.countsAsLogin {
            try await repositories.loginFailures.clear(subject: "user:\(update.userID)")
            user.logins_count += 1
            user.last_login = Timestamp.iso8601(now)
            user.last_ip = update.ip
        }
        try await repositories.users.update(user)
        return user
    }

    /// Checks `login` (email or username) and `password` against `connection`, and returns the user
    /// as the login will leave it (counted, not yet written: see `write(_:in:)`). Failures per user
    /// and per IP are counted; past `failedLoginLimit` within `throttleWindow` further attempts are
    /// refused without checking the password, until the window passes.
    public func verify(connection: String, login: String, password: String, ip: String) async throws -> UserRecord {
        let now = Timestamp.nowMillis()
        let since = now - EpochMillis(configuration.throttleWindow) * 1000
        let limit = configuration.failedLoginLimit
        let ipSubject = "ip:\(ip)"
        let found = try await storage.read { repositories -> (UserRecord?, String?, Bool) in
            let user = try await repositories.users.find(connection: connection, login: login)
            var hash: String?
            if let user { hash = try await repositories.users.passwordHash(user.user_id) }
            var throttled = try await repositories.loginFailures.count(subject: ipSubject, since: since) >= limit * 5
            if let user, !throttled {
                throttled = try await repositories.loginFailures.count(subject: "user:\(user.user_id)", since: since) >= limit
            }
            return (user, hash, throttled)
        }
        if found.2 {
            logger.notice("login throttled", metadata: ["connection": "\(connection)", "ip": "\(ip)"])
            throw LoginFailure.tooManyAttempts
        }
        guard let user = found.0, let hash = found.1, try await passwords.verify(password, hash: hash) else {
            let userID = found.0?.user_id
            try await storage.transaction { repositories in
                try await repositories.loginFailures.record(subject: ipSubject, at: now)
                if let userID { try await repositories.loginFailures.record(subject: "user:\(userID)", at: now) }
            }
            throw LoginFailure.wrongCredentials
        }
        guard !user.blocked else { throw LoginFailure.blocked }
        var counted = user
        counted.logins_count += 1
        counted.last_login = Timestamp.iso8601(now)
        counted.last_ip = ip
        return counted
    }

    /// Why a sign-up or user creation was refused.
    public struct RegistrationError: Error, Equatable {
        public enum Kind: Equatable, Sendable {
            case invalid
            case exists
            case connectionNotFound
            case signupDisabled
        }

        public var kind: Kind
        public var message: String
    }

    /// A new user for a database connection (Management API `POST /users`, `/dbconnections/signup`,
    /// the hosted sign-up page). Checks the password policy and uniqueness in the connection.
    public func register(
        connectionName: String, email: String?, username: String?, password: String, profile: UserProfileFields,
        viaSignup: Bool
    ) async throws -> UserRecord {
        guard let connection = try await storage.read({ try await $0.connections.get(name: connectionName) }) else {
            throw RegistrationError(kind: .connectionNotFound, message: "The connection does not exist.")
        }
        if viaSignup && connection.options.disable_signup {
            throw RegistrationError(kind: .signupDisabled, message: "Public signup is disabled")
        }
        // Auth0 stores email addresses in lower case.
        let email = email?.lowercased()
        guard let email, EmailAddress.isPlausible(email) else {
            throw RegistrationError(
                kind: .invalid,
                message:
                    "Payload validation error: 'Object didn't pass validation for format email: \(email ?? "")' on property email (The user's email)."
            )
        }
        if connection.options.requires_username && (username ?? "").isEmpty {
            throw RegistrationError(kind: .invalid, message: "Payload validation error: 'Missing required property: username'.")
        }
        guard password.count >= connection.options.password_min_length else {
            throw RegistrationError(
                kind: .invalid,
                message: "PasswordStrengthError: Password is too weak (at least \(connection.options.password_min_length) characters).")
        }
        let hash = try await passwords.hash(password)
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        let user = UserRecord(
            user_id: "auth0|" + RandomIdentifier.hex(byteCount: 12), connection: connection.name, email: email,
            email_verified: profile.email_verified ?? false, username: username, phone_number: profile.phone_number,
            name: profile.name ?? email, nickname: profile.nickname ?? String(email.split(separator: "@").first ?? ""),
            given_name: profile.given_name, family_name: profile.family_name,
            picture: profile.picture, app_metadata: .object(profile.app_metadata ?? [:]),
            user_metadata: .object(profile.user_metadata ?? [:]), blocked: profile.blocked ?? false,
            created_at: now, updated_at: now)
        do {
            try await storage.read { try await $0.users.insert(user, passwordHash: hash) }
        } catch StorageError.conflict {
            throw RegistrationError(kind: .exists, message: "The user already exists.")
        }
        return user
    }
}

/// Optional profile fields accepted when a user is created.
public struct UserProfileFields: Codable, Sendable {
    public var name: String?
    public var nickname: String?
    public var given_name: String?
    public var family_name: String?
    public var picture: String?
    public var phone_number: String?
    public var email_verified: Bool?
    public var blocked: Bool?
    public var app_metadata: [String: JSONValue]?
    public var user_metadata: [String: JSONValue]?

    public init() {}
}

public enum EmailAddress {
    /// A deliberately loose check (something@something.tld, no spaces): the mailbox proves the rest.
    public static func isPlausible(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !value.contains(" ") else { return false }
        return !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
    }
}
