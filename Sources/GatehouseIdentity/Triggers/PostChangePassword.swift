import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// The `post-change-password` trigger (`auth0-actions.md` §1.1, §2.6, §3.4; Auth0 "Post Change
/// Password Flow"): after a database user's password changed — through the Management API
/// (`PATCH /api/v2/users/{id}` with `password`) or a reset. Asynchronous: the message is
/// enqueued in the transaction that writes the new hash (`enqueue`) and the bound actions run
/// after the commit, from the outbox, with retries (`AsyncTrigger`); their outcome never
/// affects the change.
///
/// Event: `user` in Auth0's minimal shape (`user_id`, `email`, `email_verified`, `username`,
/// `phone_number`, `phone_verified`, `last_password_reset`), `connection`, `tenant`, `request`
/// (without `body` and `query`), `transaction` (empty: Auth0 has only an optional
/// `correlation_id`), plus Gatehouse's `delivery`. Never the password.
public struct PostChangePassword: AsyncTrigger {
    public static let trigger = "post-change-password"

    public let flows: FlowRunner
    public let geoip: MaxMindDatabase?

    public init(flows: FlowRunner, geoip: MaxMindDatabase? = nil) {
        self.flows = flows
        self.geoip = geoip
    }

    /// `event.user` (§2.6): the minimal profile.
    static func user(_ user: UserRecord) -> JSONValue {
        var fields: [String: JSONValue] = ["user_id": .string(user.user_id), "email_verified": .bool(user.email_verified)]
        let optional: [(String, String?)] = [
            ("email", user.email), ("username", user.username), ("phone_number", user.phone_number),
            ("last_password_reset", user.last_password_reset),
        ]
        for (name, value) in optional { if let value { fields[name] = .string(value) } }
        if let verified = user.phone_verified { fields["phone_verified"] = .bool(verified) }
        return .object(fields)
    }

    /// The outbox message reporting that `user`'s password changed (`user` as written, with its
    /// `last_password_reset`). Every change is a message of its own.
    public static func message(user: UserRecord, connection: ConnectionRecord?, request: ActionEventRequest?, tenantName: String)
        -> OutboxMessage
    {
        var event: [String: JSONValue] = [
            "user": Self.user(user),
            "connection": connection.map(AsyncTriggerEvents.connection)
                ?? .object(["name": .string(user.connection), "strategy": "auth0", "metadata": .object([:])]),
            "tenant": .object(["id": .string(tenantName)]),
            "transaction": .object([:]),
        ]
        if let request { event["request"] = AsyncTriggerEvents.request(request) }
        let payload = AsyncTriggerPayload(
            event: .object(event),
            caller: FlowRunner.Caller(
                clientID: nil, clientName: nil, ip: request?.ip, userAgent: request?.userAgent, userID: user.user_id,
                userName: user.logName))
        return OutboxMessage(
            kind: trigger, idempotencyKey: "\(trigger):\(user.user_id):\(RandomIdentifier.hex(byteCount: 8))", payload: payload.json)
    }

    /// Writes the message in `repositories`' transaction, the one that writes the new hash.
    /// Call it wherever a password changes (the Management API, the reset flow); after the
    /// commit, `AsyncTriggers.committed()` starts the delivery at once.
    public static func enqueue(user: UserRecord, request: ActionEventRequest?, tenantName: String, in repositories: Repositories)
        async throws
    {
        let connection = try await repositories.connections.get(name: user.connection)
        try await repositories.outbox.enqueue(
            message(user: user, connection: connection, request: request, tenantName: tenantName), now: Timestamp.nowMillis())
    }
}
