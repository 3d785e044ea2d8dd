import GatehouseActions
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

/// `client_credentials` (RFC 6749 §4.4): a machine-to-machine token for an API the client has a
/// client grant for. Scopes are the requested ones the grant allows, or all the grant's scopes
/// when none are requested (as Auth0 does).
struct ClientCredentialsGrant: GrantHandler {
    let grantType = "client_credentials"
    let tokens: TokenIssuer
    /// Runs the `credentials-exchange` flow; `nil` when Actions are not configured.
    let flows: FlowRunner?
    let policy: CommandPolicy?
    let tenantName: String
    /// Fills `event.request.geoip` when a GeoIP database is configured.
    let geoip: MaxMindDatabase?

    func exchange(_ request: TokenRequest) async throws -> TokenResponse {
        let client = request.client
        guard !client.isPublic else {
            throw OAuthError(.unauthorizedClient, "Public clients cannot use the client_credentials grant.", status: 403)
        }
        let audience = try request.required("audience")
        let api = try await request.configuration.api(identifier: audience)
        let grant = try await request.configuration.grant(clientID: client.client_id, audience: audience)
        guard let api else {
            throw OAuthError(.accessDenied, "Service not found: \(audience)", status: 403)
        }
        guard let grant else {
            throw OAuthError(.accessDenied, "Client has not been granted scopes: \(audience)", status: 403)
        }
        let requested = ScopeList(request["scope"])
        var scope: ScopeList
        if requested.isEmpty {
            scope = ScopeList(values: grant.scope)
        } else {
            let granted = Set(grant.scope)
            scope = requested.filter(granted.contains)
            if scope.isEmpty {
                throw OAuthError(.invalidScope, "None of the requested scopes are granted to this client for \(audience).", status: 403)
            }
        }
        var claims: [String: JSONValue] = [:]
        var executions: [String] = []
        if let flows, let policy,
            let outcome = try await flows.run(
                trigger: "credentials-exchange", configurationVersion: request.configuration.version,
                caller: FlowRunner.Caller(
                    clientID: client.client_id, clientName: client.name, ip: request.ip, userAgent: request.userAgent),
                event: { event(request, api: api, scope: scope) })
        {
            executions = [outcome.executionID]
            claims = try apply(outcome, policy: policy)
            if let replaced = Self.hookScopes(outcome) { scope = replaced }
        }
        let access = try await tokens.clientAccessToken(client: client, api: api, scope: scope, extraClaims: claims)
        var response = TokenResponse(access_token: access.token, scope: scope.string, expires_in: access.expiresIn)
        response.executionIDs = executions
        return response
    }

    /// The `credentials-exchange` event (`auth0-actions.md` §2.3). The request body goes in
    /// without the client's secret.
    func event(_ request: TokenRequest, api: ResourceServerRecord, scope: ScopeList) -> JSONValue {
        .object([
            "accessToken": .object(["customClaims": .object([:]), "scope": .array(scope.values.map(JSONValue.string))]),
            "client": .object([
                "client_id": .string(request.client.client_id), "name": .string(request.client.name),
                "metadata": .object(request.client.client_metadata.mapValues(JSONValue.string)),
            ]),
            "request": request.eventRequest.json(geoip: geoip), "resource_server": .object(["identifier": .string(api.identifier)]),
            "tenant": .object(["id": .string(tenantName)]),
            "transaction": .object(["requested_scopes": .array(ScopeList(request["scope"]).values.map(JSONValue.string))]),
        ])
    }

    /// The scopes a legacy credentials-exchange hook handed back (`cb(null, {scope: [...]})`,
    /// recorded as `api.transaction.setTargetScopes`): they replace the granted ones, as on
    /// Auth0, where a hook could add scopes the grant does not list ("Customize Tokens Using
    /// Hooks with Client Credentials Flow"). `nil` when no hook set any.
    static func hookScopes(_ outcome: FlowRunner.Outcome) -> ScopeList? {
        var scopes: ScopeList?
        for (index, result) in outcome.result.actions.enumerated()
        where outcome.bound.indices.contains(index) && outcome.bound[index].isHook {
            for command in result.commands where command.method == "api.transaction.setTargetScopes" {
                scopes = ScopeList(values: command.args.first?.arrayValue?.compactMap(\.stringValue) ?? [])
            }
        }
        return scopes
    }

    /// Turns the flow's outcome into claims, or into the error the client gets: a deny maps its
    /// code to RFC 6749 (`invalid_scope`, `invalid_request`, `server_error`); a failed action
    /// fails the exchange closed.
    func apply(_ outcome: FlowRunner.Outcome, policy: CommandPolicy) throws -> [String: JSONValue] {
        switch outcome.result.status {
        case .denied:
            let args = policy.denial(in: outcome.result.commands) ?? []
            let code = args.first?.stringValue ?? "invalid_request"
            let reason = args.count > 1 ? args[1].stringValue ?? "" : ""
            var error: OAuthError
            let fallback = "Denied by the \(outcome.failedStepKind == "hook" ? "hook" : "action")."
            switch code {
            case "invalid_scope": error = OAuthError(.invalidScope, reason.isEmpty ? fallback : reason, status: 400)
            case "server_error": error = OAuthError(.serverError, reason.isEmpty ? fallback : reason, status: 500)
            default: error = OAuthError(.invalidRequest, reason.isEmpty ? fallback : reason, status: 400)
            }
            error.executionIDs = [outcome.executionID]
            throw error
        case .failed where outcome.platformFailed:
            throw OAuthError.temporarilyUnavailable(
                "The exchange's Actions could not run (platform_error: \(outcome.result.error?.message ?? "")); try again in a few seconds.",
                executionID: outcome.executionID)
        case .failed, .suspended:
            var error = OAuthError(
                .accessDenied,
                "The \(outcome.failedStepKind) '\(outcome.failedActionName ?? "")' failed; the token was not issued (execution \(outcome.executionID)).",
                status: 403)
            error.executionIDs = [outcome.executionID]
            throw error
        case .completed:
            return policy.claims(from: outcome.result.commands, method: "api.accessToken.setCustomClaim").claims
        }
    }
}
