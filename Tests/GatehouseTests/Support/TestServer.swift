import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseIdentity
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

/// A real Gatehouse application on a fresh in-memory SQLite database (or the PostgreSQL named by
/// `GATEHOUSE_TEST_POSTGRES_URL` when a test asks for it), driven through Hummingbird's router
/// test client.
struct TestServer {
    static let issuer = "http://localhost:8080/"
    static let bootstrapID = "test-bootstrap-client"
    static let bootstrapSecret = "test-bootstrap-secret-value"

    static func configuration(database: String = "sqlite::memory:") -> GatehouseConfiguration {
        GatehouseConfiguration(
            issuer: issuer, databaseURL: database, masterKey: MasterKey.generateBase64(), logLevel: .warning,
            bootstrapClientID: bootstrapID, bootstrapClientSecret: bootstrapSecret, bcryptCost: 4, failedLoginLimit: 3,
            sandboxWorkers: 1, sandboxWarmUpFlows: 0)
    }

    /// Runs `body` against a new server: through the router (the default; every request comes
    /// from IP 0.0.0.0) or `.live` on a real socket (requests come from the loopback address).
    static func run<T: Sendable>(
        _ configuration: GatehouseConfiguration = configuration(), setup: TestingSetup = .router,
        _ body: @Sendable (TestClient) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = try await GatehouseServer.prepare(configuration, logger: logger)
        do {
            let app = Application(router: try await server.router(), logger: logger)
            let result = try await app.test(setup) { client in
                try await body(TestClient(client: client, server: server))
            }
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }
}

/// A test client with a cookie jar, JSON and form helpers.
final class TestClient: @unchecked Sendable {
    let client: any TestClientProtocol
    let server: GatehouseServer
    private(set) var cookies: [String: String] = [:]

    init(client: any TestClientProtocol, server: GatehouseServer) {
        self.client = client
        self.server = server
    }

    /// Takes `other`'s cookies, as if the same browser went on talking to another instance.
    func adoptCookies(of other: TestClient) {
        cookies = other.cookies
    }

    struct Reply {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let text: String

        var json: JSONValue { JSONValue(jsonText: text) ?? .null }
        var location: String? { headers[.location] }

        /// Query parameters of the `Location` header.
        var redirectQuery: [String: String] {
            guard let location, let components = URLComponents(string: location) else { return [:] }
            return Dictionary(
                (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        }

        /// The value of a hidden input in an HTML page.
        func hiddenInput(_ name: String) -> String? {
            guard let range = text.range(of: "name=\"\(name)\" value=\"") else { return nil }
            let rest = text[range.upperBound...]
            return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
        }
    }

    func request(
        _ method: HTTPRequest.Method, _ uri: String, headers: HTTPFields = [:], body: String? = nil, sendCookies: Bool = true
    ) async throws -> Reply {
        var headers = headers
        if sendCookies, !cookies.isEmpty {
            headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
        }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        for header in response.headers[values: .setCookie] {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0])
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies.removeValue(forKey: name) } else { cookies[name] = value }
        }
        return Reply(status: response.status, headers: response.headers, text: String(buffer: response.body))
    }

    func form(_ uri: String, _ fields: [String: String], headers: HTTPFields = [:]) async throws -> Reply {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = fields.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await request(.post, uri, headers: headers, body: body)
    }

    func json(_ method: HTTPRequest.Method, _ uri: String, _ body: JSONValue? = nil, token: String? = nil) async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await request(method, uri, headers: headers, body: body?.jsonText())
    }

    /// A Management API token for the bootstrap client, optionally with fewer scopes.
    func managementToken(scope: String? = nil) async throws -> String {
        var fields = [
            "grant_type": "client_credentials", "client_id": TestServer.bootstrapID,
            "client_secret": TestServer.bootstrapSecret, "audience": TestServer.issuer + "api/v2/",
        ]
        if let scope { fields["scope"] = scope }
        let reply = try await form("/oauth/token", fields)
        guard let token = reply.json["access_token"]?.stringValue else {
            throw TestFailure("no management token: \(reply.status) \(reply.text)")
        }
        return token
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The claims of a JWT, without verifying it (tests check signatures separately).
func jwtClaims(_ token: String) -> [String: JSONValue] {
    let parts = token.split(separator: ".")
    guard parts.count == 3, let data = Data(base64URLEncoded: String(parts[1])),
        let json = JSONValue(jsonText: String(decoding: data, as: UTF8.self))?.objectValue
    else { return [:] }
    return json
}
