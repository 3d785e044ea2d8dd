import Foundation
import GatehouseCore
import GatehouseStorage

/// Credentials a client presented at the token endpoint (RFC 6749 §2.3.1).
public struct ClientCredentials: Sendable, Equatable {
    public var clientID: String?
    public var clientSecret: String?
    /// Which method the client used: `client_secret_basic`, `client_secret_post` or `none`.
    public var method: String

    public init(clientID: String?, clientSecret: String?, method: String) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.method = method
    }

    /// Reads `Authorization: Basic` (URL-decoded parts, §2.3.1) or the form's `client_id`/`client_secret`.
    public static func from(authorizationHeader: String?, form: [String: String]) throws -> ClientCredentials {
        if let header = authorizationHeader, header.lowercased().hasPrefix("basic ") {
            guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let decoded = String(data: data, encoding: .utf8), let colon = decoded.firstIndex(of: ":")
            else { throw OAuthError(.invalidClient, "The Authorization header is not valid Basic credentials.") }
            let id = String(decoded[..<colon]).removingPercentEncoding ?? ""
            let secret = String(decoded[decoded.index(after: colon)...]).removingPercentEncoding ?? ""
            if let formID = form["client_id"], formID != id {
                throw OAuthError(.invalidRequest, "client_id in the body does not match the Authorization header.")
            }
            // RFC 6749 §2.3: a client must not use more than one authentication method per request.
            if form["client_secret"] != nil || form["client_assertion"] != nil {
                throw OAuthError(
                    .invalidRequest, "The client authenticated twice (Authorization header and client_secret): use one method.")
            }
            return ClientCredentials(clientID: id, clientSecret: secret, method: "client_secret_basic")
        }
        let secret = form["client_secret"]
        return ClientCredentials(
            clientID: form["client_id"], clientSecret: secret, method: secret == nil ? "none" : "client_secret_post")
    }
}

/// Authenticates clients at the token endpoint.
public struct ClientAuthenticator: Sendable {

    /// The client, when the credentials prove it. A confidential client must present its secret;
    /// a public client (`token_endpoint_auth_method: none`) only its id.
    public func authenticate(_ credentials: ClientCredentials, in configuration: ConfigurationCache.Snapshot) async throws -> ClientRecord {
        guard let clientID = credentials.clientID, !clientID.isEmpty else {
            throw OAuthError(.invalidRequest, "Missing required parameter: client_id")
        }
        guard let client = try await configuration.client(clientID) else {
            throw OAuthError(.invalidClient, "Unknown client or wrong client credentials.")
        }
        if client.isPublic {
            guard credentials.clientSecret == nil else {
                throw OAuthError(
                    .invalidRequest, "This client's token_endpoint_auth_method is none: it must not send a client secret.")
            }
            return client
        }
        guard let presented = credentials.clientSecret, let expected = client.client_secret,
            SecretComparison.equal(presented, expected)
        else {
            throw OAuthError(.invalidClient, "Unknown client or wrong client credentials.")
        }
        return client
    }
}
