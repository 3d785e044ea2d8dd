import GatehouseCore
import GatehouseStorage

extension PostLoginContext {
    /// The `post-login` event (`auth0-actions.md` §2.1–§2.2), without `secrets` (each action
    /// gets its own from the runner).
    func event(
        connection: ConnectionRecord?, roles: [String], tenant: String, geoip: MaxMindDatabase?,
        enrollments: [MultifactorEnrollmentRecord] = []
    ) -> JSONValue {
        let methods =
            authenticationMethods.isEmpty ? [AuthenticationMethodRecord(name: "pwd", timestamp: authenticatedAt)] : authenticationMethods
        var event: [String: JSONValue] = [
            "user": Self.profile(user, enrollments: enrollments),
            "stats": .object(["logins_count": .number(Double(user.logins_count))]),
            "client": EventParts.client(client),
            "connection": EventParts.connection(connection, name: user.connection),
            "tenant": .object(["id": .string(tenant)]),
            "request": request.json(geoip: geoip, includeQuery: true),
            "transaction": transactionJSON,
            "authentication": Self.authenticationJSON(methods),
            "authorization": .object(["roles": .array(roles.map(JSONValue.string))]),
        ]
        if let audience { event["resource_server"] = .object(["identifier": .string(audience)]) }
        if let session {
            event["session"] = Self.sessionJSON(session)
        } else if let sessionID {
            event["session"] = .object(["id": .string(sessionID)])
        }
        if let refreshToken {
            var token: [String: JSONValue] = [
                "id": .string(refreshToken.id), "client_id": .string(refreshToken.client_id),
                "created_at": .string(Timestamp.iso8601(refreshToken.created_at)), "user_id": .string(refreshToken.user_id),
                "rotating": .bool(client.refresh_token.rotation_type == "rotating"),
            ]
            if let expiresAt = refreshToken.expires_at { token["expires_at"] = .string(Timestamp.iso8601(expiresAt)) }
            if let idle = refreshToken.idle_expires_at { token["idle_expires_at"] = .string(Timestamp.iso8601(idle)) }
            token["metadata"] = .object((refreshToken.refresh_token_metadata ?? [:]).mapValues(JSONValue.string))
            if let session = refreshToken.session_id { token["session_id"] = .string(session) }
            if let audience = refreshToken.audience {
                token["resource_servers"] = .array([
                    .object(["audience": .string(audience), "scopes": .string(refreshToken.scope)])
                ])
            }
            event["refresh_token"] = .object(token)
        }
        return .object(event)
    }

    /// `event.authentication` (§2.2): each method with its ISO-8601 timestamp.
    static func authenticationJSON(_ methods: [AuthenticationMethodRecord]) -> JSONValue {
        .object([
            "methods": .array(
                methods.map { .object(["name": .string($0.name), "timestamp": .string(Timestamp.iso8601($0.timestamp))]) })
        ])
    }

    /// The user's full profile shape (§2.1): metadata always objects, one database identity,
    /// `multifactor` and `enrolledFactors` from the user's confirmed authenticators.
    static func profile(_ user: UserRecord, enrollments: [MultifactorEnrollmentRecord] = []) -> JSONValue {
        var profile: [String: JSONValue] = [
            "user_id": .string(user.user_id), "email_verified": .bool(user.email_verified),
            "created_at": .string(user.created_at), "updated_at": .string(user.updated_at),
            "app_metadata": user.app_metadata.objectValue.map(JSONValue.object) ?? .object([:]),
            "user_metadata": user.user_metadata.objectValue.map(JSONValue.object) ?? .object([:]),
            "identities": .array([
                .object([
                    "connection": .string(user.connection), "provider": "auth0", "user_id": .string(user.localID),
                    "isSocial": false,
                ])
            ]),
        ]
        profile.merge(MultifactorService.eventFields(enrollments)) { $1 }
        let optional: [(String, String?)] = [
            ("email", user.email), ("username", user.username), ("name", user.name), ("nickname", user.nickname),
            ("given_name", user.given_name), ("family_name", user.family_name), ("picture", user.picture),
            ("phone_number", user.phone_number), ("last_password_reset", user.last_password_reset),
        ]
        for (name, value) in optional { if let value { profile[name] = .string(value) } }
        if let verified = user.phone_verified { profile["phone_verified"] = .bool(verified) }
        return .object(profile)
    }

    /// `event.session` (§2.2) for a session the login holds: its id, times and metadata
    /// (`api.session.setMetadata` of earlier logins; `{}` when none).
    static func sessionJSON(_ session: SessionRecord) -> JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(session.id), "user_id": .string(session.user_id),
            "created_at": .string(Timestamp.iso8601(session.created_at)),
            "authenticated_at": .string(Timestamp.iso8601(session.authenticated_at)),
            "expires_at": .string(Timestamp.iso8601(session.expires_at)),
            "clients": .array(session.clients.map { .object(["client_id": .string($0)]) }),
            "metadata": .object((session.session_metadata ?? [:]).mapValues(JSONValue.string)),
        ]
        if let idle = session.idle_expires_at { fields["idle_expires_at"] = .string(Timestamp.iso8601(idle)) }
        return .object(fields)
    }

    /// `event.transaction` (§2.2). `acr_values`, `ui_locales` and `prompt` are always arrays
    /// (empty when not requested, and on back-channel grants) and `locale` is always set, as
    /// Auth0 provides them and real actions read them without guards.
    private var transactionJSON: JSONValue {
        Self.transactionJSON(protocol: loginProtocol.rawValue, requestedScopes: requestedScopes, transaction: transaction)
    }

    /// `event.transaction` of a login or a sign-up (`pre-user-registration` shares its fields).
    static func transactionJSON(protocol: String, requestedScopes: ScopeList, transaction: LoginTransactionRecord?) -> JSONValue {
        func words(_ value: String?) -> JSONValue {
            .array((value ?? "").split(separator: " ").map { .string(String($0)) })
        }
        var fields: [String: JSONValue] = [
            "protocol": .string(`protocol`),
            "requested_scopes": .array(requestedScopes.values.map(JSONValue.string)),
            "metadata": .object([:]),
            "acr_values": words(transaction?.query["acr_values"]), "ui_locales": words(transaction?.ui_locales),
            "prompt": words(transaction?.prompt), "locale": .string(Self.locale(uiLocales: transaction?.ui_locales)),
        ]
        if let transaction {
            fields["id"] = .string(transaction.id)
            fields["redirect_uri"] = .string(transaction.redirect_uri)
            fields["response_type"] = .array(transaction.response_type.split(separator: " ").map { .string(String($0)) })
            fields["response_mode"] = .string(transaction.response_mode)
            if let state = transaction.state { fields["state"] = .string(state) }
            if let hint = transaction.login_hint { fields["login_hint"] = .string(hint) }
        }
        return .object(fields)
    }

    /// `event.transaction.locale`: the first of the `ui_locales` the client asked for (OIDC Core
    /// §3.1.2.1), `en` otherwise, Auth0's default tenant language.
    static func locale(uiLocales: String?) -> String {
        (uiLocales ?? "").split(separator: " ").first.map(String.init) ?? "en"
    }
}
