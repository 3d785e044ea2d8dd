import GatehouseActions
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `POST /oauth/token` (RFC 6749 §3.2): authenticates the client, then hands the request to the
/// handler registered for its `grant_type`.
struct TokenRoutes {
    let services: IdentityServices

    func register(on router: Router<GatehouseRequestContext>) {
        router.post("oauth/token") { request, context in
            try await exchange(request, context: context)
        }
        OAuthError.answerGetWithPostOnly(on: router, path: "oauth/token")
    }

    func exchange(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        let form = try await RequestParameters.oauthBody(request, context: context)
        guard let grantType = form["grant_type"], !grantType.isEmpty else {
            throw OAuthError(.invalidRequest, "Missing required parameter: grant_type")
        }
        guard let handler = services.grants.handler(for: grantType) else {
            throw OAuthError(.unsupportedGrantType, "Unsupported grant type: \(grantType)")
        }
        let credentials = try ClientCredentials.from(authorizationHeader: request.headers[.authorization], form: form)
        let configuration = try await services.configurationCache.snapshot()
        let client = try await services.clientAuthenticator.authenticate(credentials, in: configuration)
        context.logNote.clientID = client.client_id
        guard client.grant_types.contains(grantType) else {
            throw OAuthError(.unauthorizedClient, "Grant type '\(grantType)' not allowed for the client.", status: 403)
        }
        var tokenRequest = TokenRequest(
            parameters: form, client: client, configuration: configuration, ip: context.remoteIP,
            userAgent: request.headers[.userAgent])
        tokenRequest.hostname = request.head.authority
        tokenRequest.language = RequestParameters.language(request)
        do {
            let response = try await handler.exchange(tokenRequest)
            await log(
                tokenRequest, grantType: grantType, success: true, description: nil, executions: response.executionIDs,
                userID: response.userID, userName: response.userName ?? tokenRequest["username"])
            return try JSONResponse.make(response, noStore: true)
        } catch let error as OAuthError {
            await log(
                tokenRequest, grantType: grantType, success: false, description: error.description, executions: error.executionIDs,
                userID: nil, userName: tokenRequest["username"], failureType: error.logType)
            throw error
        }
    }

    /// Auth0's tenant log event codes for token exchanges, success and failure.
    static let logTypes: [String: (success: String, failure: String, text: String)] = [
        "client_credentials": ("seccft", "feccft", "Client Credentials for an Access Token"),
        "authorization_code": ("seacft", "feacft", "Authorization Code for an Access Token"),
        "refresh_token": ("sertft", "fertft", "Refresh Token for an Access Token"),
        "password": ("sepft", "fepft", "Password for an Access Token"),
        "http://auth0.com/oauth/grant-type/password-realm": ("sepft", "fepft", "Password for an Access Token"),
        MultifactorAPI.otpGrantType: ("seotpft", "feotpft", "Password and OTP Challenge for an Access Token"),
        MultifactorAPI.oobGrantType: ("seoobft", "feoobft", "Password and OOB Challenge for an Access Token"),
        MultifactorAPI.recoveryCodeGrantType: ("sercft", "fercft", "Password and MFA Recovery code for an Access Token"),
    ]

    /// Records the exchange in the tenant log, linking the executions of any Actions that ran
    /// (`details.actions.executions`). Failed actions have their own `actions_execution_failed`
    /// events, written by the flow runner.
    func log(
        _ request: TokenRequest, grantType: String, success: Bool, description: String?, executions: [String], userID: String?,
        userName: String? = nil, failureType: String? = nil
    ) async {
        guard let recorder = services.flows?.recorder, let type = Self.logTypes[grantType] else { return }
        var details: [String: JSONValue] = [:]
        if !executions.isEmpty { details["actions"] = .object(["executions": .array(executions.map(JSONValue.string))]) }
        await recorder.record(logs: [
            LogRecord(
                log_id: RandomIdentifier.hex(byteCount: 16), date: Timestamp.iso8601(Timestamp.nowMillis()),
                type: success ? type.success : failureType ?? type.failure,
                description: description ?? "Successful exchange of \(type.text)",
                client_id: request.client.client_id, client_name: request.client.name, ip: request.ip, user_agent: request.userAgent,
                user_id: userID, user_name: userName, audience: request["audience"], scope: request["scope"], details: .object(details))
        ])
    }
}
