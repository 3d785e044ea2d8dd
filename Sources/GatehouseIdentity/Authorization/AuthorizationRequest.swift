import GatehouseCore
import GatehouseStorage

/// Why `/authorize` refused a request, and where the answer may go.
public enum AuthorizationFailure: Error, Equatable {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect
    /// (RFC 6749 §4.1.2.1, first paragraph).
    case page(title: String, description: String)
    /// Everything else goes back to the client's verified redirect URI.
    case redirect(OAuthError, to: String, state: String?, responseMode: String)
}

/// Validates `/authorize` parameters (RFC 6749 §4.1.1, RFC 7636, OIDC Core §3.1.2.1) into a login
/// transaction, not yet stored.
public struct AuthorizationRequestValidator: Sendable {
    let storage: Storage

    public init(storage: Storage) {
        self.storage = storage
    }

    public func validate(_ query: [String: String], now: EpochMillis) async throws -> LoginTransactionRecord {
        if let problem = AuthorizationRequestLimits.problem(with: query) {
            throw AuthorizationFailure.page(title: "invalid_request", description: problem)
        }
        func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let clientID = value("client_id") else {
            throw AuthorizationFailure.page(title: "invalid_request", description: "Missing required parameter: client_id")
        }
        guard let client = try await storage.read({ try await $0.clients.get(clientID) }) else {
            throw AuthorizationFailure.page(title: "invalid_request", description: "Unknown client: \(clientID)")
        }
        let redirectURI: String
        if let requested = value("redirect_uri") {
            guard client.callbacks.contains(requested) else {
                throw AuthorizationFailure.page(
                    title: "Callback URL mismatch",
                    description: "The provided redirect_uri \(requested) is not in the list of allowed callback URLs of \(client.name).")
            }
            redirectURI = requested
        } else if client.callbacks.count == 1 {
            redirectURI = client.callbacks[0]
        } else {
            throw AuthorizationFailure.page(title: "invalid_request", description: "Missing required parameter: redirect_uri")
        }
        let state = value("state")
        let responseMode = value("response_mode") ?? "query"
        guard ["query", "form_post"].contains(responseMode) else {
            throw AuthorizationFailure.redirect(
                OAuthError(.invalidRequest, "Unsupported response_mode: \(responseMode)"), to: redirectURI, state: state,
                responseMode: "query")
        }
        func fail(_ code: OAuthError.Code, _ description: String) -> AuthorizationFailure {
            .redirect(OAuthError(code, description), to: redirectURI, state: state, responseMode: responseMode)
        }
        guard let responseType = value("response_type") else {
            throw fail(.invalidRequest, "Missing required parameter: response_type")
        }
        guard responseType == "code" else {
            throw fail(.unsupportedResponseType, "Unsupported response type: \(responseType)")
        }
        guard client.grant_types.contains("authorization_code") else {
            throw fail(.unauthorizedClient, "Grant type 'authorization_code' not allowed for the client.")
        }
        let challenge = value("code_challenge")
        let challengeMethod = value("code_challenge_method") ?? (challenge == nil ? nil : "plain")
        if client.isPublic && challenge == nil {
            throw fail(.invalidRequest, "Public clients must use PKCE: code_challenge is required (RFC 7636).")
        }
        if challenge != nil && challengeMethod != "S256" {
            throw fail(.invalidRequest, "code_challenge_method must be S256.")
        }
        if let challenge, !PKCE.isWellFormed(challenge) {
            throw fail(.invalidRequest, "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.2).")
        }
        let audience = value("audience")
        if let audience {
            let api = try await storage.read { try await $0.resourceServers.get(idOrIdentifier: audience) }
            guard api?.identifier == audience else { throw fail(.accessDenied, "Service not found: \(audience)") }
        }
        let prompt = value("prompt")
        if let prompt, !prompt.split(separator: " ").allSatisfy({ ["none", "login", "consent", "select_account"].contains($0) }) {
            throw fail(.invalidRequest, "Unsupported prompt: \(prompt)")
        }
        let connection = value("connection")
        if let connection {
            let found = try await storage.read { try await $0.connections.get(name: connection) }
            guard let found, found.enabled_clients.contains(client.client_id) else {
                throw fail(.invalidRequest, "The connection \(connection) is not enabled for this client.")
            }
        }
        return LoginTransactionRecord(
            id: RandomIdentifier.token(byteCount: 24), csrf_token: RandomIdentifier.token(byteCount: 24),
            client_id: client.client_id, redirect_uri: redirectURI, response_type: responseType,
            response_mode: responseMode, scope: value("scope") ?? "openid", audience: audience, state: state,
            nonce: value("nonce"), code_challenge: challenge, code_challenge_method: challengeMethod, prompt: prompt,
            connection: connection, login_hint: value("login_hint"), ui_locales: value("ui_locales"), query: query,
            expires_at: now + 3_600_000)
    }
}
