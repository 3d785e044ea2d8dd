import GatehouseActions
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

/// The `password-reset-post-challenge` trigger (`auth0-actions.md` §2.8, §3.5; Auth0 "Password
/// Reset Flow"): runs once the reset link is opened and before the new password can be set. Its
/// actions may refuse the reset (`api.access.deny`), ask for a second factor
/// (`api.authentication.challengeWith` / `challengeWithAny`), send the browser elsewhere and
/// resume in `onContinuePostChallenge` (`api.redirect.sendUserTo`), and choose where the browser
/// goes after the reset (`api.transaction.setResultUrl`). Orchestrated by
/// `AccountTickets+Challenge`, which keeps the state with the ticket.
public struct PasswordResetPostChallenge: Sendable {
    public static let trigger = "password-reset-post-challenge"

    let flows: FlowRunner
    let storage: Storage
    let tenantName: String
    let geoip: MaxMindDatabase?

    /// How one run of the flow ended.
    enum Run: Sendable {
        /// Every action ran; the commands of this run.
        case completed(executionID: String, commands: [Command])
        /// `api.access.deny(reason)`.
        case denied(reason: String, executionID: String)
        /// An action asked for a factor or a redirect; the flow goes on from `resumption`.
        case suspended(
            method: String, args: [JSONValue], actionName: String, resumption: FlowRunner.Resumption?, event: JSONValue,
            executionID: String, commands: [Command])
    }

    /// Runs the bound actions (from `resuming`, with the event it left) for `user` opening a
    /// reset link; `nil` when no action is bound. Throws `AccountTickets.ChallengeFailure`.
    func run(
        user: UserRecord, client: ClientRecord?, request: ActionEventRequest, openedAt: EpochMillis, configurationVersion: Int64,
        resuming: (step: FlowRunner.Resumption, event: JSONValue)? = nil
    ) async throws -> Run? {
        let caller = FlowRunner.Caller(
            clientID: client?.client_id, clientName: client?.name, ip: request.ip, userAgent: request.userAgent,
            userID: user.user_id, userName: user.logName)
        let outcome: FlowRunner.Outcome?
        do {
            outcome = try await flows.run(
                trigger: Self.trigger, configurationVersion: configurationVersion, caller: caller, resuming: resuming?.step
            ) {
                if var event = resuming?.event.objectValue {
                    event["request"] = request.json(geoip: geoip, includeQuery: true)
                    return .object(event)
                }
                return try await event(user: user, client: client, request: request, openedAt: openedAt)
            }
        } catch is FlowRunner.StepGone {
            throw AccountTickets.ChallengeFailure.failed(
                "The action this reset was waiting on is no longer bound; ask for a new link.")
        }
        guard let outcome else { return nil }
        let commands = outcome.result.commands
        switch outcome.result.status {
        case .completed:
            return .completed(executionID: outcome.executionID, commands: commands)
        case .failed where outcome.platformFailed:
            throw AccountTickets.ChallengeFailure.unavailable
        case .failed:
            let action = outcome.failedActionName.map { "'\($0)'" } ?? "an action"
            throw AccountTickets.ChallengeFailure.failed(
                "The password reset could not be completed: \(action) failed (execution \(outcome.executionID)). Ask for a new link"
                    + " or contact support.")
        case .denied:
            let reason = commands.last { $0.method == "api.access.deny" }?.args.first?.stringValue
            return .denied(
                reason: reason.flatMap { $0.isEmpty ? nil : $0 } ?? "The password reset was refused.", executionID: outcome.executionID)
        case .suspended:
            let bound = outcome.bound
            guard let call = outcome.result.suspended, bound.indices.contains(call.action_index),
                let event = outcome.result.state?["event"]
            else { throw AccountTickets.ChallengeFailure.unavailable }
            let transient = outcome.result.state?["transient"]
            let resumption: FlowRunner.Resumption?
            switch call.method {
            case "api.redirect.sendUserTo":
                resumption = .init(bindingID: bound[call.action_index].bindingID, handler: "continue", transient: transient)
            case "api.authentication.challengeWith", "api.authentication.challengeWithAny":
                let next = call.action_index + 1
                resumption =
                    bound.indices.contains(next) ? .init(bindingID: bound[next].bindingID, handler: "execute", transient: transient) : nil
            default:
                throw AccountTickets.ChallengeFailure.failed(
                    "The action '\(bound[call.action_index].actionName)' called \(call.method), which Gatehouse does not support"
                        + " in a password reset.")
            }
            return .suspended(
                method: call.method, args: call.args, actionName: bound[call.action_index].actionName, resumption: resumption,
                event: event, executionID: outcome.executionID, commands: commands)
        }
    }

    /// The event (§2.8): the full user with their factors, how they proved who they are (the
    /// e-mailed link), roles, client, connection, request, stats, tenant and transaction.
    func event(user: UserRecord, client: ClientRecord?, request: ActionEventRequest, openedAt: EpochMillis) async throws -> JSONValue {
        let (connection, roles, enrollments) = try await storage.read { repositories in
            (
                try await repositories.connections.get(name: user.connection),
                try await repositories.roles.roles(ofUser: user.user_id).map(\.name),
                try await repositories.multifactor.enrollments(userID: user.user_id)
            )
        }
        var event: [String: JSONValue] = [
            "user": PostLoginContext.profile(user, enrollments: enrollments),
            "authentication": PostLoginContext.authenticationJSON([AuthenticationMethodRecord(name: "email", timestamp: openedAt)]),
            "authorization": .object(["roles": .array(roles.map(JSONValue.string))]),
            "connection": EventParts.connection(connection, name: user.connection),
            "request": request.json(geoip: geoip, includeQuery: true),
            "stats": .object(["logins_count": .number(Double(user.logins_count))]),
            "tenant": .object(["id": .string(tenantName)]),
            "transaction": .object([
                "locale": .string(PostLoginContext.locale(uiLocales: nil)), "ui_locales": .array([]),
            ]),
        ]
        if let client { event["client"] = EventParts.client(client) }
        return .object(event)
    }
}
