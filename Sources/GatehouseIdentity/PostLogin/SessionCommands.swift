import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

/// The `api.session` and `api.refreshToken` calls of a post-login flow that change the session
/// or the refresh token (`auth0-actions.md` §3.1): `setMetadata`, `deleteMetadata`,
/// `evictMetadata`, `setExpiresAt`, `setIdleExpiresAt`. The earliest expiry asked for wins; the
/// login applies them with `SessionRepository.apply` / `RefreshTokenRepository.apply` (or
/// `SessionRecord.applying` for a session not stored yet), which only ever shorten expiry.
///
/// Keys and values follow Auth0's rules ("Configure Session Metadata", "Configure Refresh Token
/// Metadata"): keys of letters, numbers, underscores and hyphens, string values, at most 255
/// characters each and 25 properties. The first call that breaks them is `invalid`: Auth0 then
/// refuses the login with `access_denied` and `invalid.message` ("Failed to set session
/// metadata: Invalid metadata: …").
public struct SessionCommands: Sendable, Equatable {
    public var session = SessionChanges()
    public var refreshToken = SessionChanges()
    /// The first invalid metadata call, if any; the login must then be refused.
    public var invalid: SessionMetadataError?

    public init(commands: [Command]) {
        for command in commands {
            guard let split = Self.split(command.method) else { continue }
            let (target, call) = split
            let label = target == "session" ? "session" : "refresh token"
            var changes = target == "session" ? session : refreshToken
            switch call {
            case "setMetadata":
                let key = command.args.first ?? .null
                let value = command.args.count > 1 ? command.args[1] : .null
                if let problem = Self.problem(key: key) ?? Self.problem(value: value) {
                    invalid = invalid ?? SessionMetadataError(problem, target: label)
                } else if let key = key.stringValue {
                    let edit: SessionChanges.MetadataEdit =
                        value.stringValue.map { .set(key: key, value: $0) } ?? .delete(key: key)
                    changes.metadata.append(edit)
                }
            case "deleteMetadata":
                let key = command.args.first ?? .null
                if let problem = Self.problem(key: key) {
                    invalid = invalid ?? SessionMetadataError(problem, target: label)
                } else if let key = key.stringValue {
                    changes.metadata.append(.delete(key: key))
                }
            case "evictMetadata":
                changes.metadata.append(.evict)
            case "setExpiresAt":
                changes.expiresAt = Self.earliest(changes.expiresAt, command.args.first)
            case "setIdleExpiresAt":
                changes.idleExpiresAt = Self.earliest(changes.idleExpiresAt, command.args.first)
            default:
                continue
            }
            if target == "session" { session = changes } else { refreshToken = changes }
        }
    }

    /// `true` when no call changes anything and none was invalid.
    public var isEmpty: Bool { session.isEmpty && refreshToken.isEmpty && invalid == nil }

    /// The refusal for `invalid` as the login delivers it (`access_denied`, Auth0's text).
    public var refusal: OAuthError? {
        invalid.map { OAuthError(.accessDenied, $0.message, status: 403) }
    }

    private static func split(_ method: String) -> (String, Substring)? {
        for target in ["session", "refreshToken"] {
            let prefix = "api.\(target)."
            if method.hasPrefix(prefix) { return (target, method.dropFirst(prefix.count)) }
        }
        return nil
    }

    private static func earliest(_ current: EpochMillis?, _ argument: JSONValue?) -> EpochMillis? {
        guard let number = argument?.numberValue, number.isFinite, abs(number) < 9_007_199_254_740_992 else { return current }
        let asked = EpochMillis(number)
        return current.map { min($0, asked) } ?? asked
    }

    /// Why `key` is not a valid metadata key, in Auth0's words; `nil` when it is.
    static func problem(key: JSONValue) -> String? {
        guard let key = key.stringValue, !key.isEmpty else { return "Metadata keys must be non-empty strings" }
        guard key.count <= SessionChanges.maxLength else {
            return "Metadata keys must be at most \(SessionChanges.maxLength) characters"
        }
        let allowed = key.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
        }
        return allowed ? nil : "Metadata keys may only include letters, numbers, underscores, or hyphens"
    }

    /// Why `value` is not a valid metadata value (a string, or `null` to delete); `nil` when it is.
    static func problem(value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .string(let string) where string.count <= SessionChanges.maxLength: return nil
        case .string: return "Metadata values must be at most \(SessionChanges.maxLength) characters"
        default: return "Metadata values must be strings"
        }
    }
}
