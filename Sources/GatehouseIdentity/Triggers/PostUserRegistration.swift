import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// The `post-user-registration` trigger (`auth0-actions.md` §1.1, §2.5, §3.4; Auth0 "Post User
/// Registration Flow"): after a user is added to a database connection, whichever door — the
/// hosted sign-up page, `POST /dbconnections/signup`, `POST /api/v2/users`. Asynchronous: the
/// message is enqueued in the transaction that inserts the user (`enqueue`) and the bound
/// actions run after the commit, from the outbox, with retries (`AsyncTrigger`); their outcome
/// never affects the sign-up.
///
/// Event: `user` (the full profile as created), `connection`, `tenant`, `request` (without
/// `body` and `query`), `client` and `transaction` when the sign-up came through an application
/// (a `client_id`, the hosted page's `/authorize` transaction), plus Gatehouse's `delivery`.
public struct PostUserRegistration: AsyncTrigger {
    public static let trigger = "post-user-registration"

    public let flows: FlowRunner
    public let geoip: MaxMindDatabase?

    public init(flows: FlowRunner, geoip: MaxMindDatabase? = nil) {
        self.flows = flows
        self.geoip = geoip
    }

    /// The outbox message reporting that `user` registered: one per user (its key is the user
    /// id), so a repeated enqueue cannot deliver twice.
    public static func message(user: UserRecord, connection: ConnectionRecord, origin: RegistrationOrigin, tenantName: String)
        -> OutboxMessage
    {
        var event: [String: JSONValue] = [
            "user": PostLoginContext.profile(user),
            "connection": AsyncTriggerEvents.connection(connection),
            "tenant": .object(["id": .string(tenantName)]),
        ]
        if let request = origin.request { event["request"] = AsyncTriggerEvents.request(request) }
        if let client = origin.client { event["client"] = AsyncTriggerEvents.client(client) }
        if let transaction = origin.transaction { event["transaction"] = AsyncTriggerEvents.transaction(transaction) }
        let payload = AsyncTriggerPayload(
            event: .object(event),
            caller: FlowRunner.Caller(
                clientID: origin.client?.client_id, clientName: origin.client?.name, ip: origin.request?.ip,
                userAgent: origin.request?.userAgent, userID: user.user_id, userName: user.logName))
        return OutboxMessage(kind: trigger, idempotencyKey: "\(trigger):\(user.user_id)", payload: payload.json)
    }

    /// Writes the message in `repositories`' transaction, the one that inserts the user.
    public static func enqueue(
        user: UserRecord, connection: ConnectionRecord, origin: RegistrationOrigin, tenantName: String, in repositories: Repositories
    ) async throws {
        try await repositories.outbox.enqueue(
            message(user: user, connection: connection, origin: origin, tenantName: tenantName), now: Timestamp.nowMillis())
    }
}
