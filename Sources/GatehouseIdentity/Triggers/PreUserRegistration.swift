import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// The `pre-user-registration` trigger (`auth0-actions.md` §2.4, §3.3; Auth0 "Pre User
/// Registration Flow"): runs before a database user is created, whichever door the sign-up came
/// through (the hosted sign-up page, `POST /dbconnections/signup`, `POST /api/v2/users` — Auth0
/// runs it there too, without `client`). Its actions may refuse the sign-up
/// (`api.access.deny(reason, userMessage)`, `api.validation.error(code, message)`) or add
/// metadata to the user about to be created (`api.user.setAppMetadata` / `setUserMetadata`),
/// which is written in the statement that creates the user.
public struct PreUserRegistration: TriggerFlow {
    public static let trigger = "pre-user-registration"

    /// The sign-up about to happen.
    public struct Context: Sendable {
        /// The prospective user: no `user_id`, `created_at` or `email_verified` yet.
        public var user: UserRecord
        public var connection: ConnectionRecord
        public var origin: RegistrationOrigin
    }

    /// What the actions decided for a sign-up they let through.
    public struct Decision: Sendable {
        public var metadata: MetadataChanges
        /// The execution that ran (`nil` when no action is bound).
        public var executionID: String?
    }

    public let flows: FlowRunner
    let tenantName: String
    let geoip: MaxMindDatabase?

    public init(flows: FlowRunner, tenantName: String, geoip: MaxMindDatabase? = nil) {
        self.flows = flows
        self.tenantName = tenantName
        self.geoip = geoip
    }

    public func caller(_ context: Context) -> FlowRunner.Caller {
        FlowRunner.Caller(
            clientID: context.origin.client?.client_id, clientName: context.origin.client?.name, ip: context.origin.request?.ip,
            userAgent: context.origin.request?.userAgent, userName: context.user.logName)
    }

    public func configurationVersion(_ context: Context) -> Int64 { context.origin.configurationVersion }

    public func event(_ context: Context) async throws -> JSONValue {
        let user = context.user
        var profile: [String: JSONValue] = [
            "app_metadata": user.app_metadata.objectValue.map(JSONValue.object) ?? .object([:]),
            "user_metadata": user.user_metadata.objectValue.map(JSONValue.object) ?? .object([:]),
        ]
        let optional: [(String, String?)] = [
            ("email", user.email), ("username", user.username), ("name", user.name), ("nickname", user.nickname),
            ("given_name", user.given_name), ("family_name", user.family_name), ("picture", user.picture),
            ("phone_number", user.phone_number),
        ]
        for (name, value) in optional { if let value { profile[name] = .string(value) } }
        let origin = context.origin
        let transaction = origin.transaction
        var event: [String: JSONValue] = [
            "user": .object(profile),
            "connection": EventParts.connection(context.connection, name: context.connection.name),
            "tenant": .object(["id": .string(tenantName)]),
        ]
        // A sign-up through the public doors has a transaction (its fields always there, as for
        // post-login); the Management API's has neither a transaction nor a client.
        if let request = origin.request { event["request"] = request.json(geoip: geoip, includeQuery: true) }
        if let client = origin.client {
            event["client"] = EventParts.client(client)
            event["transaction"] = PostLoginContext.transactionJSON(
                protocol: PostLoginContext.LoginProtocol.browser.rawValue, requestedScopes: ScopeList(transaction?.scope ?? ""),
                transaction: transaction)
        }
        return .object(event)
    }

    public func decide(_ outcome: FlowRunner.Outcome?, context: Context) throws -> Decision {
        guard let outcome else { return Decision(metadata: MetadataChanges(), executionID: nil) }
        let commands = outcome.result.commands
        switch outcome.result.status {
        case .completed:
            return Decision(metadata: MetadataChanges(commands: commands), executionID: outcome.executionID)
        case .failed where outcome.platformFailed:
            throw UserDirectory.RegistrationError(
                kind: .unavailable,
                message: "The sign-up could not be completed just now (the Actions sandbox is unavailable); try again in a few seconds.")
        case .failed:
            let action = outcome.failedActionName.map { "\(outcome.failedStepKind) '\($0)'" } ?? "an action"
            let message = outcome.result.actions.last { $0.error != nil }?.error?.message ?? outcome.result.error?.message
            var refusal = UserDirectory.RegistrationError(
                kind: .deniedByAction, message: "The sign-up could not be completed. Try again later or contact support.")
            refusal.logDescription =
                "The pre-user-registration \(action) failed\(message.map { ": \($0)" } ?? "") (execution \(outcome.executionID))."
            throw refusal
        case .denied, .suspended:
            // `api.access.deny(reason, userMessage)`: the reason to the log, the message to the
            // person. `api.validation.error(code, message)`: the code to the log, the message to
            // the person.
            let stop = commands.last { $0.method == "api.access.deny" || $0.method == "api.validation.error" }
            let first = stop?.args.first?.stringValue ?? ""
            let second = stop.flatMap { $0.args.count > 1 ? $0.args[1].stringValue : nil }
            var refusal = UserDirectory.RegistrationError(
                kind: .deniedByAction,
                message: second.flatMap { $0.isEmpty ? nil : $0 } ?? (first.isEmpty ? "You are not allowed to sign up." : first))
            refusal.logDescription = first.isEmpty ? "Denied by a pre-user-registration \(outcome.failedStepKind)." : first
            if stop?.method == "api.validation.error" { refusal.code = first }
            throw refusal
        }
    }
}

/// Where a sign-up comes from, for `pre-user-registration` and `post-user-registration`:
/// the application (absent for the Management API), the HTTP request and, on the hosted page,
/// the `/authorize` transaction.
public struct RegistrationOrigin: Sendable {
    public var client: ClientRecord?
    public var request: ActionEventRequest?
    public var transaction: LoginTransactionRecord?
    /// The configuration version the request was served with (selects the bindings).
    public var configurationVersion: Int64

    public init(
        client: ClientRecord?, request: ActionEventRequest?, transaction: LoginTransactionRecord? = nil, configurationVersion: Int64
    ) {
        self.client = client
        self.request = request
        self.transaction = transaction
        self.configurationVersion = configurationVersion
    }
}
