import GatehouseCore
import GatehouseStorage
import Logging

/// Users of database connections: sign-up and password authentication with throttling.
public struct UserDirectory: Sendable {
    let storage: Storage
    let passwords: PasswordHasher
    let configuration: GatehouseConfiguration
    let logger: Logger
    let attackProtection: AttackProtection
    /// `pre-user-registration`; `nil` without Actions.
    let preRegistration: PreUserRegistration?
    let asyncTriggers: AsyncTriggers
    /// What the dictionary rule refuses besides the tenant's words.
    let commonPasswords: CommonPasswords

    /// Why a password login failed, in words safe to show the person who typed it.
    public enum LoginFailure: Error, Equatable, Sendable {
        case wrongCredentials
        case blocked
        /// Brute-force protection: too many consecutive failures for this user from this IP.
        case tooManyAttempts
        /// Suspicious-IP throttling: too many failures from this IP across accounts.
        case suspiciousIP

        public var message: String {
            switch self {
            case .wrongCredentials: "Wrong email or password."
            case .blocked: "This account is blocked. Contact your administrator."
            case .tooManyAttempts:
                "Too many failed login attempts: logins to this account from your network are blocked. Contact your administrator to lift the block."
            case .suspiciousIP:
                "We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator."
            }
        }

        /// Auth0's tenant log type of the failure.
        public var logType: String {
            switch self {
            case .wrongCredentials: "fp"
            case .blocked: "f"
            case .tooManyAttempts: "limit_wc"
            case .suspiciousIP: "limit_mu"
            }
        }

        /// The same failure as an OAuth error for the password grants (Auth0 answers 403).
        public var oauthError: OAuthError {
            var error: OAuthError =
                switch self {
                case .wrongCredentials: OAuthError(.invalidGrant, "Wrong email or password.", status: 403)
                case .blocked: OAuthError(OAuthError.Code("unauthorized"), "user is blocked", status: 401)
                case .tooManyAttempts, .suspiciousIP: OAuthError(.tooManyAttempts, message, status: 429)
                }
            error.logType = self == .wrongCredentials || self == .blocked ? nil : logType
            return error
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
            user.logins_count += 1
            user.last_login = Timestamp.iso8601(now)
            user.last_ip = update.ip
        }
        try await repositories.users.update(user)
        return user
    }

    /// Checks `login` (email or username) and `password` against `connection`, and returns the user
    /// as the login will leave it (counted, not yet written: see `write(_:in:)`).
    ///
    /// Attack protection decides first (`AttackProtection.reserveLogin`): the attempt is counted
    /// against the IP and against this user from this IP *before* any hash is checked, so
    /// concurrent guesses cannot all slip under the limit; a right password then forgets the
    /// count. A login naming nobody is checked against a dummy hash of the same cost, so it
    /// takes as long as a wrong password and counts the same way.
    public func verify(connection: String, login: String, password: String, ip: String) async throws -> UserRecord {
        let now = Timestamp.nowMillis()
        let found = try await storage.read { repositories -> (UserRecord?, String?) in
            guard let user = try await repositories.users.find(connection: connection, login: login) else { return (nil, nil) }
            return (user, try await repositories.users.passwordHash(user.user_id))
        }
        let reservation = try await attackProtection.reserveLogin(
            connection: connection, identifier: login, userID: found.0?.user_id, ip: ip, now: now)
        if let refusal = reservation.refusal {
            logger.notice(
                "login refused by attack protection",
                metadata: ["connection": "\(connection)", "ip": "\(ip)", "reason": "\(refusal.logType)"])
            throw refusal
        }
        let valid: Bool
        if let hash = found.1, found.0 != nil {
            valid = try await passwords.verify(password, hash: hash)
        } else {
            valid = try await passwords.verifyDummy(password)
        }
        try await attackProtection.settle(reservation, passwordWasRight: valid)
        guard valid, let user = found.0 else { throw LoginFailure.wrongCredentials }
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
            /// Longer than bcrypt reads (72 UTF-8 bytes).
            case passwordTooLong
            /// Suspicious-IP throttling of sign-ups (`pre-user-registration`).
            case tooManySignups
            /// A `pre-user-registration` action refused the sign-up (or failed): `message` is
            /// what the person may be shown.
            case deniedByAction
            /// The Actions platform could not run `pre-user-registration`; try again.
            case unavailable
            /// The connection's password policy refuses the password (`passwordPolicy`).
            case weakPassword
        }

        public var kind: Kind
        /// What the caller may show or answer.
        public var message: String
        /// For the tenant log: the action's reason (`api.access.deny`), or why it failed.
        public var logDescription: String?
        /// `api.validation.error`'s code.
        public var code: String?
        /// `weakPassword`: which rule failed, in Auth0's terms.
        public var passwordPolicy: PasswordPolicyError?

        public init(kind: Kind, message: String) {
            self.kind = kind
            self.message = message
        }
    }

    /// The refusal of a password bcrypt would not read in full (see `PasswordHasher.maximumPasswordBytes`).
    public static func passwordTooLong(_ password: String) -> RegistrationError? {
        guard !PasswordHasher.fitsBcrypt(password) else { return nil }
        return RegistrationError(
            kind: .passwordTooLong,
            message:
                "PasswordTooLongError: Password is too long (\(password.utf8.count) bytes); at most \(PasswordHasher.maximumPasswordBytes) bytes (UTF-8) are allowed."
        )
    }

    /// A new user for a database connection (Management API `POST /users`, `/dbconnections/signup`,
    /// the hosted sign-up page). Checks the password policy and uniqueness in the connection.
    /// A public sign-up (`viaSignup`) from `ip` first counts against that IP's
    /// `pre-user-registration` bucket (suspicious-IP throttling). When an action is bound to
    /// `post-user-registration`, the transaction that inserts the user also enqueues its
    /// delivery (with `origin` in its event), which starts after the commit; `writes` gives what
    /// else that transaction writes for the new user (its e-mails, `AccountMail.newUserWrites`).
    public func register(
        connectionName: String, email: String?, username: String?, password: String, profile: UserProfileFields,
        viaSignup: Bool, ip: String? = nil, origin: RegistrationOrigin? = nil,
        writes: (@Sendable (UserRecord) async -> RegistrationWrites?)? = nil
    ) async throws -> UserRecord {
        if viaSignup, let ip, try await !attackProtection.reserveSignup(ip: ip) {
            logger.notice("sign-up throttled", metadata: ["ip": "\(ip)"])
            throw RegistrationError(
                kind: .tooManySignups,
                message: "We have detected suspicious sign-up behavior from your network. Please try again later.")
        }
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
        if let error = Self.passwordTooLong(password) { throw error }
        do {
            try PasswordPolicy(connection.options, common: commonPasswords).check(
                password, personal: [email, username, profile.name, profile.nickname, profile.given_name, profile.family_name])
        } catch {
            var refusal = RegistrationError(kind: .weakPassword, message: error.explanation)
            refusal.passwordPolicy = error
            throw refusal
        }
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        let name = profile.name ?? email
        let picture = profile.picture ?? (configuration.defaultPictures ? DefaultPicture.gravatar(email: email, name: name) : nil)
        var user = UserRecord(
            user_id: "auth0|" + RandomIdentifier.hex(byteCount: 12), connection: connection.name, email: email,
            email_verified: profile.email_verified ?? false, username: username, phone_number: profile.phone_number,
            name: name, nickname: profile.nickname ?? String(email.split(separator: "@").first ?? ""),
            given_name: profile.given_name, family_name: profile.family_name,
            picture: picture, app_metadata: .object(profile.app_metadata ?? [:]),
            user_metadata: .object(profile.user_metadata ?? [:]), blocked: profile.blocked ?? false,
            created_at: now, updated_at: now)
        if let preRegistration, let origin {
            do {
                let decision = try await preRegistration.run(
                    PreUserRegistration.Context(user: user, connection: connection, origin: origin))
                user = decision.metadata.applied(to: user, at: Timestamp.nowMillis())
                user.updated_at = now
            } catch let refusal as RegistrationError where refusal.kind == .deniedByAction {
                // Auth0's tenant log `fs` (failed sign-up), with the action's reason.
                await preRegistration.flows.recorder.record(logs: [
                    LogRecord(
                        log_id: RandomIdentifier.hex(byteCount: 16), date: Timestamp.iso8601(Timestamp.nowMillis()), type: "fs",
                        description: refusal.logDescription ?? refusal.message, client_id: origin.client?.client_id,
                        client_name: origin.client?.name, ip: origin.request?.ip, user_agent: origin.request?.userAgent,
                        user_name: email, details: .object(["connection": .string(connection.name)]))
                ])
                throw refusal
            }
        }
        let hash = try await passwords.hash(password)
        let created = user
        let announce = try await asyncTriggers.isBound(PostUserRegistration.trigger)
        let tenantName = asyncTriggers.tenantName
        let extra = await writes?(created)
        do {
            try await storage.transaction { repositories in
                try await repositories.users.insert(created, passwordHash: hash)
                try await extra?.write(repositories)
                if announce {
                    try await PostUserRegistration.enqueue(
                        user: created, connection: connection,
                        origin: origin ?? RegistrationOrigin(client: nil, request: nil, configurationVersion: 0), tenantName: tenantName,
                        in: repositories)
                }
            }
        } catch StorageError.conflict {
            throw RegistrationError(kind: .exists, message: "The user already exists.")
        }
        if announce { asyncTriggers.committed() }
        extra?.committed()
        return user
    }

    /// What else the transaction that inserts a new user writes, and what to do once it is
    /// committed (wake the outbox relay).
    public struct RegistrationWrites: Sendable {
        public var write: @Sendable (Repositories) async throws -> Void
        public var committed: @Sendable () -> Void

        public init(write: @escaping @Sendable (Repositories) async throws -> Void, committed: @escaping @Sendable () -> Void) {
            self.write = write
            self.committed = committed
        }
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
