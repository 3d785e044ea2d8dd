import Foundation
import GatehouseCore
import Testing

@Suite("Token endpoint") struct TokenEndpointTests {
    @Test("client_credentials issues an RS256 JWT with Auth0's claims, verifiable against the JWKS")
    func clientCredentials() async throws {
        try await TestServer.run { client in
            let reply = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "client_credentials", "client_id": TestServer.bootstrapID,
                    "client_secret": TestServer.bootstrapSecret, "audience": TestServer.issuer + "api/v2/", "scope": "read:users",
                ])
            #expect(reply.status == .ok)
            #expect(reply.headers[.cacheControl] == "no-store")
            let token = try #require(reply.json["access_token"]?.stringValue)
            #expect(reply.json["token_type"] == "Bearer")
            #expect(reply.json["scope"] == "read:users")
            let claims = jwtClaims(token)
            #expect(claims["gty"] == "client-credentials")
            #expect(claims["sub"]?.stringValue == "\(TestServer.bootstrapID)@clients")
            #expect(claims["aud"]?.stringValue == TestServer.issuer + "api/v2/")
            #expect(claims["iss"]?.stringValue == TestServer.issuer)
            #expect(claims["azp"]?.stringValue == TestServer.bootstrapID)
            let verified = try await client.server.services.keyring.verifySignature(token)
            #expect(verified["sub"] == claims["sub"])
        }
    }

    @Test("client_secret_basic works as well as client_secret_post")
    func basicAuthentication() async throws {
        try await TestServer.run { client in
            let basic = Data("\(TestServer.bootstrapID):\(TestServer.bootstrapSecret)".utf8).base64EncodedString()
            let reply = try await client.form(
                "/oauth/token", ["grant_type": "client_credentials", "audience": TestServer.issuer + "api/v2/"],
                headers: [.authorization: "Basic \(basic)"])
            #expect(reply.status == .ok)
            #expect(reply.json["access_token"]?.stringValue != nil)
        }
    }

    @Test(
        "errors follow RFC 6749 §5.2",
        arguments: [
            (
                ["grant_type": "client_credentials", "client_id": TestServer.bootstrapID, "client_secret": "wrong", "audience": "x"], 401,
                "invalid_client"
            ),
            (["grant_type": "magic", "client_id": TestServer.bootstrapID], 400, "unsupported_grant_type"),
            (["client_id": TestServer.bootstrapID], 400, "invalid_request"),
            (["grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x", "audience": "x"], 401, "invalid_client"),
            (
                [
                    "grant_type": "password", "client_id": TestServer.bootstrapID, "client_secret": TestServer.bootstrapSecret,
                    "username": "a", "password": "b",
                ],
                403, "unauthorized_client"
            ),
            (
                [
                    "grant_type": "client_credentials", "client_id": TestServer.bootstrapID, "client_secret": TestServer.bootstrapSecret,
                    "audience": "https://unknown/",
                ],
                403, "access_denied"
            ),
        ])
    func errors(fields: [String: String], status: Int, error: String) async throws {
        try await TestServer.run { client in
            let reply = try await client.form("/oauth/token", fields)
            #expect(reply.status.code == status)
            #expect(reply.json["error"]?.stringValue == error)
            #expect(reply.json["error_description"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("client_credentials is limited to the scopes of the client grant")
    func scopesLimitedToGrant() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await fixtures.createAPI()
            let app = try await fixtures.createApp(name: "M2M", appType: "non_interactive", grantTypes: ["client_credentials"])
            let fields = [
                "grant_type": "client_credentials", "client_id": app.id, "client_secret": app.secret ?? "",
                "audience": "https://api.example/",
            ]
            let withoutGrant = try await client.form("/oauth/token", fields)
            #expect(withoutGrant.status == .forbidden)
            #expect(withoutGrant.json["error"] == "access_denied")
            let grant = try await client.json(
                .post, "/api/v2/client-grants",
                .object(["client_id": .string(app.id), "audience": "https://api.example/", "scope": .array(["read:things"])]),
                token: fixtures.token)
            #expect(grant.status == .created)
            let all = try await client.form("/oauth/token", fields)
            #expect(jwtClaims(try #require(all.json["access_token"]?.stringValue))["scope"] == "read:things")
            var narrowed = fields
            narrowed["scope"] = "read:things write:things"
            let filtered = try await client.form("/oauth/token", narrowed)
            #expect(filtered.json["scope"] == "read:things")
            narrowed["scope"] = "write:things"
            let refused = try await client.form("/oauth/token", narrowed)
            #expect(refused.json["error"] == "invalid_scope")
        }
    }

    @Test("a JSON body is accepted, as Auth0's SDKs send it")
    func jsonBody() async throws {
        try await TestServer.run { client in
            let reply = try await client.json(
                .post, "/oauth/token",
                .object([
                    "grant_type": "client_credentials", "client_id": .string(TestServer.bootstrapID),
                    "client_secret": .string(TestServer.bootstrapSecret), "audience": .string(TestServer.issuer + "api/v2/"),
                ]))
            #expect(reply.status == .ok)
        }
    }
}
