import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

/// What a `post-login` flow decided for a login it let through.
public struct PostLoginDecision: Sendable {
    public var tokens: TokenCustomization
    public var metadata: MetadataChanges
    /// The execution record of the flow, for the tenant log (`details.actions.executions`).
    public var executionIDs: [String]
    /// `api.multifactor.enable` (the last call): the challenge that comes after the flow.
    public var multifactor: MultifactorRequest?
    /// `api.session.*` and `api.refreshToken.*`: metadata and expiry for the login's session
    /// and the refresh token being exchanged.
    public var sessions = SessionCommands(commands: [])

    public static let none = PostLoginDecision(tokens: TokenCustomization(), metadata: MetadataChanges(), executionIDs: [])
}

/// `api.multifactor.enable(provider, {allowRememberBrowser})` (`auth0-actions.md` §3.1).
public struct MultifactorRequest: Sendable, Codable, Equatable {
    /// `none`, `any`, `guardian`, `google-authenticator` or `duo`.
    public var provider: String
    /// Whether the person may tick "remember this browser" (Auth0's default: no).
    public var allowRememberBrowser: Bool
}

/// Why a `post-login` flow refused a login. Browser flows deliver it to the client's
/// `redirect_uri` as `error=access_denied`; the token endpoint answers HTTP 403 (Auth0 answers
/// 500 there, which clients cannot tell from an outage).
public struct PostLoginRefusal: Error, Sendable {
    /// `access_denied`, its description and the execution, ready for either delivery.
    public var error: OAuthError
    /// Metadata that actions asked for before the refusal: Auth0 keeps those side effects.
    public var metadata: MetadataChanges
    /// `api.session.revoke`: the SSO session ends too.
    public var revokesSession: Bool
    /// `api.refreshToken.revoke`: the presented refresh token is revoked too.
    public var revokesRefreshToken: Bool
    /// `api.validation.error(code, message)`: the code (the message is the description).
    public var validationCode: String?
}

/// `api.user.setAppMetadata` / `setUserMetadata` calls of a whole flow, in call order, written
/// once at the end of the flow (`auth0-actions.md` §3.1, §3.9). A `null` value deletes the key.
public struct MetadataChanges: Sendable, Equatable {
    public struct Change: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
    }

    public var app: [Change] = []
    public var user: [Change] = []

    public init(app: [Change] = [], user: [Change] = []) {
        self.app = app
        self.user = user
    }

    /// The changes recorded by `commands` (a value-less call only made the key transient for
    /// later actions and is never written).
    init(commands: [Command]) {
        for command in commands where command.args.count >= 2 {
            guard let key = command.args[0].stringValue else { continue }
            switch command.method {
            case "api.user.setAppMetadata": app.append(Change(key: key, value: command.args[1]))
            case "api.user.setUserMetadata": user.append(Change(key: key, value: command.args[1]))
            default: continue
            }
        }
    }

    public var isEmpty: Bool { app.isEmpty && user.isEmpty }

    /// `user` with the changes merged into its metadata.
    public func applied(to user: UserRecord, at now: EpochMillis) -> UserRecord {
        guard !isEmpty else { return user }
        var updated = user
        updated.app_metadata = Self.merge(app, into: user.app_metadata)
        updated.user_metadata = Self.merge(self.user, into: user.user_metadata)
        updated.updated_at = Timestamp.iso8601(now)
        return updated
    }

    private static func merge(_ changes: [Change], into metadata: JSONValue) -> JSONValue {
        guard !changes.isEmpty else { return metadata }
        var object = metadata.objectValue ?? [:]
        for change in changes {
            if change.value == .null { object.removeValue(forKey: change.key) } else { object[change.key] = change.value }
        }
        return .object(object)
    }
}
