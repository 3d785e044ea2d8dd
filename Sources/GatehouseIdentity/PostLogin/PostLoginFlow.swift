import Foundation
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
    /// The issuer, whose host and `api/v2` rules read as `auth0.domain` and `auth0.baseUrl`.
    var issuer: String = ""

    /// Calls that end the flow, with the index of the argument that is the user-facing reason.
    static let refusals: [String: Int] = [
        "api.access.deny": 0, "api.validation.error": 1, "api.session.revoke": 0, "api.refreshToken.revoke": 0,
    ]

    /// What one run of the flow ended with: every action ran, or one of them suspended the
    /// login (a redirect or an MFA challenge).
    public enum Run: Sendable {
        case completed(PostLoginProgress)
        case suspended(PostLoginProgress, PostLoginSuspension)
    }

    /// Runs the flow for `context`, after `progress` (the runs before a suspension); `resuming`
    /// goes on from a suspension with the event it left, whose `request` the caller has renewed.
    /// Without bound actions, no event is built and nothing is read.
    /// Throws `PostLoginRefusal` when the flow denies the login or fails, and
    /// `OAuthError.temporarilyUnavailable` when the platform could not run it.
    public func run(
        _ context: PostLoginContext, after progress: PostLoginProgress = PostLoginProgress(),
        resuming: (step: FlowRunner.Resumption, event: JSONValue)? = nil
    ) async throws -> Run {
        let userID = context.user.user_id
        let caller = FlowRunner.Caller(
            clientID: context.client.client_id, clientName: context.client.name, ip: context.request.ip,
            userAgent: context.request.userAgent, userID: userID, userName: context.user.logName)
        let outcome: FlowRunner.Outcome?
        do {
            outcome = try await flows.run(
                trigger: Self.trigger, configurationVersion: context.configurationVersion, caller: caller, resuming: resuming?.step,
                facts: facts(progress), ruleFacts: { try await usersByEmail(context.user) }
            ) {
                if let resuming { return resuming.event }
                let (connection, roles, enrollments) = try await storage.read { repositories in
                    (
                        try await repositories.connections.get(name: context.user.connection),
                        try await repositories.roles.roles(ofUser: userID).map(\.name),
                        try await repositories.multifactor.enrollments(userID: userID)
                    )
                }
                return context.event(
                    connection: connection, roles: roles, tenant: tenantName, geoip: geoip, enrollments: enrollments)
            }
        } catch is FlowRunner.StepGone {
            throw refusal(
                "The action this login was waiting on is no longer bound to the post-login trigger; start the login again.",
                progress: progress)
        }
        guard let outcome else { return .completed(progress) }
        var progress = progress
        progress.executionIDs.append(outcome.executionID)
        progress.commands += outcome.result.commands
        for (index, result) in outcome.result.actions.enumerated()
        where outcome.bound.indices.contains(index) && outcome.bound[index].isRule && result.error == nil
            && !progress.executedRules.contains(outcome.bound[index].actionID)
        {
            progress.executedRules.append(outcome.bound[index].actionID)
        }
        let action = outcome.failedActionName ?? ""
        let step = outcome.failedStepIsRule ? "rule" : "action"
        switch outcome.result.status {
        case .failed where outcome.platformFailed:
            throw OAuthError.temporarilyUnavailable(
                "The login's Actions could not run (platform_error: \(outcome.result.error?.message ?? "")); try again in a few seconds.",
                executionID: outcome.executionID)
        case .failed:
            let message = outcome.result.actions.last { $0.error != nil }?.error?.message ?? outcome.result.error?.message
            throw refusal(
                "The \(step) '\(action)' failed\(message.map { ": \($0)" } ?? ""); the login was not completed (execution \(outcome.executionID)).",
                progress: progress)
        case .denied:
            let stop = outcome.result.commands.last { Self.refusals[$0.method] != nil }
            let reasonIndex = stop.flatMap { Self.refusals[$0.method] } ?? 0
            let reason = stop.flatMap { $0.args.count > reasonIndex ? $0.args[reasonIndex].stringValue : nil }
            var refusal = refusal(
                reason.flatMap { $0.isEmpty ? nil : $0 } ?? "Access denied by an action.", progress: progress,
                metadata: MetadataChanges(commands: progress.commands), method: stop?.method)
            // `api.validation.error(code, message)`: the code is the OAuth `error` (an RFC 6749
            // error code's characters only; anything else stays `access_denied`).
            if stop?.method == "api.validation.error", let code = stop?.args.first?.stringValue {
                refusal.validationCode = code
                let allowed = code.unicodeScalars.allSatisfy { (0x23...0x7E).contains($0.value) && $0 != "\\" && $0 != "\"" }
                if !code.isEmpty, code.count <= 128, allowed { refusal.error.code = OAuthError.Code(code) }
            }
            throw refusal
        case .suspended:
            return .suspended(progress, try suspension(of: outcome, progress: progress))
        case .completed:
            return .completed(progress)
        }
    }

    /// The suspension `outcome` reports, with the step the login goes on from.
    func suspension(of outcome: FlowRunner.Outcome, progress: PostLoginProgress) throws -> PostLoginSuspension {
        let bound = outcome.bound
        guard let call = outcome.result.suspended, bound.indices.contains(call.action_index),
            let event = outcome.result.state?["event"]
        else {
            throw OAuthError.temporarilyUnavailable(
                "The sandbox did not describe the login's suspension; try again in a few seconds.", executionID: outcome.executionID)
        }
        let name = bound[call.action_index].actionName
        let transient = outcome.result.state?["transient"]
        let reason: PostLoginSuspension.Reason
        let resumption: FlowRunner.Resumption?
        if bound[call.action_index].isRule {
            // A rule's `context.redirect`: every rule runs again on the way back, then the actions.
            guard call.method == "api.redirect.sendUserTo" else {
                throw refusal("The rule '\(name)' cannot suspend a login with \(call.method).", progress: progress)
            }
            return PostLoginSuspension(
                reason: .redirect, method: call.method, args: call.args, actionName: name,
                resumption: .init(bindingID: FlowRunner.rulesStep, handler: "continue", transient: transient), event: event,
                isRule: true)
        }
        switch call.method {
        case "api.redirect.sendUserTo":
            reason = .redirect
            resumption = .init(bindingID: bound[call.action_index].bindingID, handler: "continue", transient: transient)
        case "api.authentication.challengeWith", "api.authentication.challengeWithAny", "api.authentication.enrollWith",
            "api.authentication.enrollWithAny":
            // Later actions wait until the challenge is met (`auth0-actions.md` §3.1); the action
            // that asked is not called again.
            reason = .mfa
            let next = call.action_index + 1
            resumption =
                bound.indices.contains(next) ? .init(bindingID: bound[next].bindingID, handler: "execute", transient: transient) : nil
        case "api.prompt.render":
            throw refusal(
                "The action '\(name)' called api.prompt.render (Auth0 Forms), which Gatehouse does not support; the login was not completed.",
                progress: progress)
        default:
            throw refusal("The action '\(name)' called \(call.method), which cannot suspend a login here.", progress: progress)
        }
        return PostLoginSuspension(
            reason: reason, method: call.method, args: call.args, actionName: name, resumption: resumption, event: event)
    }

    /// What the runner is told besides the event (`PROTOCOL.md` §4): the rules that already ran
    /// in this login (`api.rules.wasExecuted` after a resume), the domain rules see as `auth0`.
    func facts(_ progress: PostLoginProgress) -> [String: JSONValue] {
        var facts: [String: JSONValue] = [:]
        if !progress.executedRules.isEmpty { facts["executed_rules"] = .array(progress.executedRules.map(JSONValue.string)) }
        if let url = URL(string: issuer), let host = url.host {
            facts["auth0_domain"] = .string(url.port.map { "\(host):\($0)" } ?? host)
            facts["auth0_base_url"] = .string(issuer.hasSuffix("/") ? issuer + "api/v2" : issuer + "/api/v2")
        }
        return facts
    }

    /// What legacy rules' `auth0.users.getUsersByEmail` answers (`PROTOCOL.md` §4.3): the users
    /// with the e-mail of the user logging in, the user included, in the profile shape rules see
    /// as `user`. Read only when rules run; other e-mails are refused in the runner.
    func usersByEmail(_ user: UserRecord) async throws -> [String: JSONValue] {
        guard let email = user.email, !email.isEmpty else { return [:] }
        let users = try await storage.read { try await $0.users.find(email: email) }
        return [
            "users_by_email": .object([
                "email": .string(email), "users": .array(users.prefix(50).map { PostLoginContext.profile($0) }),
            ])
        ]
    }

    func refusal(
        _ description: String, progress: PostLoginProgress, metadata: MetadataChanges = MetadataChanges(), method: String? = nil
    ) -> PostLoginRefusal {
        var error = OAuthError(.accessDenied, description, status: 403)
        error.executionIDs = progress.executionIDs
        return PostLoginRefusal(
            error: error, metadata: metadata, revokesSession: method == "api.session.revoke",
            revokesRefreshToken: method == "api.refreshToken.revoke")
    }

    /// What a completed flow decided for the tokens and the user (`auth0-actions.md` §3.1):
    /// claims, scope changes and metadata from every run's commands, in call order.
    public func decide(_ progress: PostLoginProgress) throws -> PostLoginDecision {
        let commands = progress.commands
        if commands.contains(where: { $0.method == "api.authentication.setPrimaryUser" }) {
            throw refusal(
                "An action called api.authentication.setPrimaryUser (account linking), which Gatehouse does not support;"
                    + " the login was not completed.", progress: progress)
        }
        let sessions = SessionCommands(commands: commands)
        if let invalid = sessions.invalid {
            // Auth0 refuses the login, keeping the user metadata asked for before.
            throw refusal(invalid.message, progress: progress, metadata: MetadataChanges(commands: commands))
        }
        // `api.multifactor.enable`: the last call wins (`enable('none')` after it suppresses MFA).
        let multifactor = commands.last { $0.method == "api.multifactor.enable" }.map { command in
            MultifactorRequest(
                provider: command.args.first?.stringValue ?? "any",
                allowRememberBrowser: command.args.dropFirst().first?["allowRememberBrowser"] == .bool(true))
        }
        let idToken = policy.claims(from: commands, method: "api.idToken.setCustomClaim")
        let accessToken = policy.claims(from: commands, method: "api.accessToken.setCustomClaim")
        let dropped = idToken.dropped + accessToken.dropped
        if !dropped.isEmpty {
            logger.notice(
                "post-login: custom claims dropped (restricted names, Auth0 namespaces or over 100 KB)",
                metadata: ["claims": "\(dropped)", "execution_ids": "\(progress.executionIDs)"])
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
            metadata: MetadataChanges(commands: commands), executionIDs: progress.executionIDs, multifactor: multifactor,
            sessions: sessions)
    }
}
