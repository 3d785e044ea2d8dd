import GatehouseCore
import GatehouseStorage

/// The event members asynchronous triggers share (`auth0-actions.md` §2.1, §2.5, §2.6).
enum AsyncTriggerEvents {
    /// `event.connection`.
    static func connection(_ connection: ConnectionRecord) -> JSONValue {
        .object([
            "id": .string(connection.id), "name": .string(connection.name), "strategy": .string(connection.strategy),
            "metadata": .object(connection.metadata.mapValues(JSONValue.string)),
        ])
    }

    /// `event.client`.
    static func client(_ client: ClientRecord) -> JSONValue {
        .object([
            "client_id": .string(client.client_id), "name": .string(client.name),
            "metadata": .object(client.client_metadata.mapValues(JSONValue.string)),
        ])
    }

    /// `event.request` without `body` and `query`, which these triggers do not have; `geoip` is
    /// looked up when the message is delivered.
    static func request(_ request: ActionEventRequest) -> JSONValue {
        var fields = request.json(geoip: nil).objectValue ?? [:]
        fields["body"] = nil
        return .object(fields)
    }

    /// `event.transaction` of a sign-up through the hosted page (§2.4, shared by §2.5): the
    /// `/authorize` request's scopes, locale and parameters.
    static func transaction(_ transaction: LoginTransactionRecord) -> JSONValue {
        func words(_ value: String?) -> JSONValue {
            .array((value ?? "").split(separator: " ").map { .string(String($0)) })
        }
        var fields: [String: JSONValue] = [
            "id": .string(transaction.id), "protocol": "oidc-basic-profile", "requested_scopes": words(transaction.scope),
            "acr_values": words(transaction.query["acr_values"]), "ui_locales": words(transaction.ui_locales),
            "locale": .string(PostLoginContext.locale(uiLocales: transaction.ui_locales)),
            "redirect_uri": .string(transaction.redirect_uri), "response_type": words(transaction.response_type),
            "response_mode": .string(transaction.response_mode),
        ]
        if let prompt = transaction.prompt { fields["prompt"] = words(prompt) }
        if let state = transaction.state { fields["state"] = .string(state) }
        if let hint = transaction.login_hint { fields["login_hint"] = .string(hint) }
        return .object(fields)
    }

    /// `event.request.geoip` filled in for `event.request.ip` (an object either way, §2.1).
    static func locating(_ event: JSONValue, geoip: MaxMindDatabase?) -> JSONValue {
        guard var fields = event.objectValue, var request = fields["request"]?.objectValue else { return event }
        request["geoip"] = request["ip"]?.stringValue.flatMap { geoip?.geoip(for: $0) } ?? .object([:])
        fields["request"] = .object(request)
        return .object(fields)
    }
}
