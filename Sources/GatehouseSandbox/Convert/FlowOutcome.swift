import GatehouseCore

/// What a post-login flow decided, as a user of the login would notice it: how it ended, the
/// deny reason, the redirect, MFA, the tokens' claims and scopes, the metadata written, the
/// primary user. `gatehouse rules convert --check` compares a rule's outcome with its
/// converted action's. The order of the calls and transaction metadata (the converter's way of
/// passing values between actions) are not part of it; a claim set to null or undefined counts
/// as not set (Rules skipped undefined claims, the runner records Actions' as null).
public struct FlowOutcome: Sendable, Equatable {
    public var status: String
    public var error: String?
    public var deny: String?
    public var redirect: JSONValue?
    public var multifactor: JSONValue?
    public var idTokenClaims: [String: JSONValue] = [:]
    public var accessTokenClaims: [String: JSONValue] = [:]
    public var addedScopes: Set<String> = []
    public var removedScopes: Set<String> = []
    public var appMetadata: [String: JSONValue] = [:]
    public var userMetadata: [String: JSONValue] = [:]
    public var primaryUser: String?

    public init(_ result: FlowResult) {
        status = result.status.rawValue
        if let failure = result.error ?? result.actions.compactMap(\.error).first {
            error = "\(failure.class): \(failure.message)"
        }
        for command in result.commands {
            let args = command.args
            let first = args.first
            switch command.method {
            case "api.access.deny": deny = first?.stringValue ?? ""
            case "api.redirect.sendUserTo": redirect = .array(args)
            case "api.multifactor.enable":
                let remember = args.count > 1 ? args[1]["allowRememberBrowser"]?.boolValue ?? false : false
                multifactor = .array([first ?? .null, .object(["allowRememberBrowser": .bool(remember)])])
            case "api.idToken.setCustomClaim": Self.set(&idTokenClaims, args)
            case "api.accessToken.setCustomClaim": Self.set(&accessTokenClaims, args)
            case "api.accessToken.addScope":
                if let scope = first?.stringValue { addedScopes.insert(scope); removedScopes.remove(scope) }
            case "api.accessToken.removeScope":
                if let scope = first?.stringValue { removedScopes.insert(scope); addedScopes.remove(scope) }
            case "api.user.setAppMetadata": Self.set(&appMetadata, args, keepNull: true)
            case "api.user.setUserMetadata": Self.set(&userMetadata, args, keepNull: true)
            case "api.authentication.setPrimaryUser": primaryUser = first?.stringValue
            default: break
            }
        }
    }

    private static func set(_ values: inout [String: JSONValue], _ args: [JSONValue], keepNull: Bool = false) {
        guard let key = args.first?.stringValue else { return }
        let value = args.count > 1 ? args[1] : .null
        if value == .null && !keepNull { values[key] = nil } else { values[key] = value }
    }

    /// The outcome as JSON, the fields that are set only.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["status": .string(status)]
        if let error { object["error"] = .string(error) }
        if let deny { object["deny"] = .string(deny) }
        if let redirect { object["redirect"] = redirect }
        if let multifactor { object["multifactor"] = multifactor }
        if !idTokenClaims.isEmpty { object["id_token_claims"] = .object(idTokenClaims) }
        if !accessTokenClaims.isEmpty { object["access_token_claims"] = .object(accessTokenClaims) }
        if !addedScopes.isEmpty { object["added_scopes"] = .array(addedScopes.sorted().map(JSONValue.string)) }
        if !removedScopes.isEmpty { object["removed_scopes"] = .array(removedScopes.sorted().map(JSONValue.string)) }
        if !appMetadata.isEmpty { object["app_metadata"] = .object(appMetadata) }
        if !userMetadata.isEmpty { object["user_metadata"] = .object(userMetadata) }
        if let primaryUser { object["primary_user"] = .string(primaryUser) }
        return .object(object)
    }

    /// Each field that differs, as `field: rule … / action …` (empty when the outcomes match).
    public func differences(from action: FlowOutcome) -> [String] {
        let mine = json.objectValue ?? [:]
        let theirs = action.json.objectValue ?? [:]
        return Set(mine.keys).union(theirs.keys).sorted().compactMap { key in
            let left = mine[key]
            let right = theirs[key]
            guard left != right else { return nil }
            let show = { (value: JSONValue?) in value.map { $0.jsonText() } ?? "(none)" }
            return "\(key): rule \(show(left)) / action \(show(right))"
        }
    }
}
