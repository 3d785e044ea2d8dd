import GatehouseCore

/// What post-login actions asked for one session or one refresh token (`auth0-actions.md` §3.1,
/// `api.session` and `api.refreshToken`): metadata edits in call order and the earliest expiry
/// and idle expiry asked for. Expiry only ever shortens what the record already has.
/// Auth0: "Configure Session Metadata", "Configure Refresh Token Metadata".
public struct SessionChanges: Sendable, Equatable {
    /// One `setMetadata` / `deleteMetadata` / `evictMetadata` call.
    public enum MetadataEdit: Sendable, Equatable {
        case set(key: String, value: String)
        case delete(key: String)
        case evict
    }

    public var metadata: [MetadataEdit]
    /// The earliest `setExpiresAt` asked for, if any.
    public var expiresAt: EpochMillis?
    /// The earliest `setIdleExpiresAt` asked for, if any.
    public var idleExpiresAt: EpochMillis?

    public init(metadata: [MetadataEdit] = [], expiresAt: EpochMillis? = nil, idleExpiresAt: EpochMillis? = nil) {
        self.metadata = metadata
        self.expiresAt = expiresAt
        self.idleExpiresAt = idleExpiresAt
    }

    public var isEmpty: Bool { metadata.isEmpty && expiresAt == nil && idleExpiresAt == nil }

    /// Auth0's session and refresh-token metadata limits: at most 25 properties, keys and
    /// values of at most 255 characters, keys of letters, numbers, underscores and hyphens
    /// (Auth0 Management API `SessionMetadata`: "string values (max 255 chars). Maximum of 25
    /// metadata properties allowed").
    public static let maxProperties = 25
    public static let maxLength = 255

    /// `metadata` with the edits applied in call order; `nil` stays `nil` when nothing was
    /// edited. Throws when the result has more than `maxProperties` keys.
    public func metadata(appliedTo current: [String: String]?) throws(SessionMetadataError) -> [String: String]? {
        guard !metadata.isEmpty else { return current }
        var result = current ?? [:]
        for edit in metadata {
            switch edit {
            case .set(let key, let value): result[key] = value
            case .delete(let key): result.removeValue(forKey: key)
            case .evict: result.removeAll()
            }
        }
        guard result.count <= Self.maxProperties else {
            throw SessionMetadataError("Metadata may have at most \(Self.maxProperties) properties")
        }
        return result
    }

    /// `current` shortened to the expiry asked for (never lengthened).
    static func shortened(_ current: EpochMillis?, to asked: EpochMillis?) -> EpochMillis? {
        guard let asked else { return current }
        return current.map { min($0, asked) } ?? asked
    }
}

/// An invalid `api.session` / `api.refreshToken` metadata call. Auth0 refuses the login with
/// `access_denied` and "Failed to set session metadata: Invalid metadata: <reason>"
/// (Auth0: "Configure Session Metadata").
public struct SessionMetadataError: Error, Sendable, Equatable {
    /// The reason, e.g. "Metadata keys may only include letters, numbers, underscores, or hyphens".
    public var reason: String
    /// `"session"` or `"refresh token"`: which metadata the call was for.
    public var target: String

    public init(_ reason: String, target: String = "session") {
        self.reason = reason
        self.target = target
    }

    /// The login's refusal text, as Auth0 words it.
    public var message: String { "Failed to set \(target) metadata: Invalid metadata: \(reason)" }
}

extension SessionRecord {
    /// This session with `changes` applied: metadata edited, expiry only ever shortened.
    public func applying(_ changes: SessionChanges) throws(SessionMetadataError) -> SessionRecord {
        var session = self
        do {
            session.session_metadata = try changes.metadata(appliedTo: session_metadata)
        } catch { throw SessionMetadataError(error.reason, target: "session") }
        session.expires_at = SessionChanges.shortened(expires_at, to: changes.expiresAt) ?? expires_at
        session.idle_expires_at = SessionChanges.shortened(idle_expires_at, to: changes.idleExpiresAt)
        return session
    }
}

extension RefreshTokenRecord {
    /// This token with `changes` applied: metadata edited, expiry only ever shortened (a token
    /// that never expired gets the expiry asked for, as on Auth0).
    public func applying(_ changes: SessionChanges) throws(SessionMetadataError) -> RefreshTokenRecord {
        var token = self
        do {
            token.refresh_token_metadata = try changes.metadata(appliedTo: refresh_token_metadata)
        } catch { throw SessionMetadataError(error.reason, target: "refresh token") }
        token.expires_at = SessionChanges.shortened(expires_at, to: changes.expiresAt)
        token.idle_expires_at = SessionChanges.shortened(idle_expires_at, to: changes.idleExpiresAt)
        return token
    }
}
