import GatehouseActions
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage
import Logging

/// Runs the `post-login` trigger for a login and turns what its actions asked for into a
/// decision the login then applies all at once (`auth0-actions.md` §3.1, §3.9, §4.2): claims and
/// scopes for the tokens, metadata to write, or a refusal.
public struct PostLoginFlow: Sendable {
    public static let trigger = "post-login"

    let flows: FlowRunner
    let policy: CommandPolicy
    let storage: Storage
    let tenantName: String
    let logger: Logger
    /// Fills `event.request.geoip` when a GeoIP database is configured.
    let geoip: MaxMindDatabase?

    /// Calls that end the flow, with the index of the argument that is the user-facing reason.
    static let refusals: [String: Int] = [
        "api.access.deny": 0, "api.validation.error": 1, "api.session.revoke": 0, "api.refreshToken.revoke": 0,
    ]

    /// The decision for `context`; `.none`, without a database read, when nothing is bound.
    /// Throws `PostLoginRefusal` when the flow denies the login or fails.
    public func run(_ context: PostLoginContext) async throws -> PostLoginDecision {
        let userID = context.user.user_id
        let caller = FlowRunner.Caller(
            clientID: context.client.client_id, clientName: context.client.name, ip: context.request.ip,
            userAgent: context.request.userAgent, userID: userID, userName: context.user.logName)
        let outcome = try await flows.run(trigger: Self.trigger, configurationVersion: context.configurationVersion, caller: caller) {
            let (connection, roles) = try await storage.read { repositories in
                (
                    try await repositories.connections.get(name: context.user.connection),
                    try await repositories.roles.roles(ofUser: userID).map(\.name)
                )
            }
            return context.event(connection: connection, roles: roles, tenant: tenantName, geoip: geoip)
        }
        guard let outcome else { return .none }
        return try decide(outcome)
    }

    func decide(_ outcome: FlowRunner.Outcome) throws -> PostLoginDecision {
        let commands = outcome.result.commands
        let action = outcome.failedActionName ?? ""
        func refuse(_ description: String, metadata: MetadataChanges = MetadataChanges(), method: String? = nil) -> PostLoginRefusal {
            var error = OAuthError(.accessDenied, description, status: 403)
            error.executionIDs = [outcome.executionID]
            return PostLoginRefusal(
                error: error, metadata: metadata, revokesSession: method == "api.session.revoke",
                revokesRefreshToken: method == "api.refreshToken.revoke")
        }
        switch outcome.result.status {
        case .failed where outcome.platformFailed:
            throw OAuthError.temporarilyUnavailable(
                "The login's Actions could not run (platform_error: \(outcome.result.error?.message ?? "")); try again in a few seconds.",
                executionID: outcome.executionID)
        case .failed:
            throw refuse("The action '\(action)' failed; the login was not completed (execution \(outcome.executionID)).")
        case .suspended:
            let method = outcome.result.suspended?.method ?? "suspend"
            let actions = outcome.result.actions
            let name =
                outcome.result.suspended.map { actions.indices.contains($0.action_index) ? actions[$0.action_index].name : action }
                ?? action
            throw refuse(
                "The action '\(name)' called \(method), but Gatehouse does not yet redirect, prompt or challenge during a login;"
                    + " the login was not completed.")
        case .denied:
            let stop = commands.last { Self.refusals[$0.method] != nil }
            let reasonIndex = stop.flatMap { Self.refusals[$0.method] } ?? 0
            let reason = stop.flatMap { $0.args.count > reasonIndex ? $0.args[reasonIndex].stringValue : nil }
            throw refuse(
                reason.flatMap { $0.isEmpty ? nil : $0 } ?? "Access denied by an action.", metadata: MetadataChanges(commands: commands),
                method: stop?.method)
        case .completed:
            break
        }
        for command in commands {
            switch command.method {
            case "api.multifactor.enable" where command.args.first?.stringValue != "none":
                throw refuse(
                    "An action requires multi-factor authentication (api.multifactor.enable), which this server does not offer yet;"
                        + " the login was not completed.")
            case "api.authentication.setPrimaryUser":
                throw refuse("An action called api.authentication.setPrimaryUser, but this user has no linked accounts.")
            default:
                continue
            }
        }
        let idToken = policy.claims(from: commands, method: "api.idToken.setCustomClaim")
        let accessToken = policy.claims(from: commands, method: "api.accessToken.setCustomClaim")
        let dropped = idToken.dropped + accessToken.dropped
        if !dropped.isEmpty {
            logger.notice(
                "post-login: custom claims dropped (restricted names, Auth0 namespaces or over 100 KB)",
                metadata: ["claims": "\(dropped)", "execution_id": "\(outcome.executionID)"])
        }
        var added: [String] = []
        var removed: [String] = []
        for command in commands {
            guard let scope = command.args.first?.stringValue else { continue }
            switch command.method {
            case "api.accessToken.addScope":
                removed.removeAll { $0 == scope }
                if !added.contains(scope) { added.append(scope) }
            case "api.accessToken.removeScope":
                added.removeAll { $0 == scope }
                if !removed.contains(scope) { removed.append(scope) }
            default:
                continue
            }
        }
        return PostLoginDecision(
            tokens: TokenCustomization(
                id_token_claims: idToken.claims, access_token_claims: accessToken.claims, added_scopes: added, removed_scopes: removed),
            metadata: MetadataChanges(commands: commands), executionIDs: [outcome.executionID])
    }
}
