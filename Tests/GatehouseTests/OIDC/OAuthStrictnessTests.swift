import Foundation
import GatehouseCore
import HTTPTypes
import Testing

/// RFC 6749 and RFC 7636 rules the server-trust report found unenforced.
@Suite("OAuth strictness: repeated parameters, client authentication, PKCE, bodies and methods") struct OAuthStrictnessTests {
    static let m2m =
        "grant_type=client_credentials&client_id=\(TestServer.bootstrapID)&client_secret=\(TestServer.bootstrapSecret)"
        + "&audience=\(TestServer.issuer)api/v2/"

    @Test("a repeated parameter is invalid_request at /oauth/token (§3.2) and at /authorize (§3.1)")
    func repeatedParameters() async throws {
        try await TestServer.run { client in
            for body in [Self.m2m + "&scope=read:users&scope=delete:users", Self.m2m + "&client_id=other"] {
                let reply = try await client.request(
                    .post, "/oauth/token", headers: [.contentType: "application/x-www-form-urlencoded"], body: body)
                #expect(reply.status == .badRequest, "\(reply.text)")
                #expect(reply.json["error"] == "invalid_request")
                #expect(reply.json["error_description"]?.stringValue?.contains("more than once") == true)
            }
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let page = try await client.request(
                .get, AuthorizeLimitsTests.authorize(app, extra: "&state=a&state=b"))
            #expect(page.status == .badRequest)
            #expect(page.location == nil)
        }
    }

    @Test("two client authentication methods, or a secret from a client whose method is none, are invalid_request")
    func oneAuthenticationMethod() async throws {
        try await TestServer.run { client in
            let basic = Data("\(TestServer.bootstrapID):\(TestServer.bootstrapSecret)".utf8).base64EncodedString()
            let twice = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "client_credentials", "audience": TestServer.issuer + "api/v2/",
                    "client_secret": TestServer.bootstrapSecret,
                ],
                headers: [.authorization: "Basic \(basic)"])
            #expect(twice.status == .badRequest, "\(twice.text)")
            #expect(twice.json["error"] == "invalid_request")

            let fixtures = try await Fixtures.make(client)
            let spa = try await fixtures.createApp(
                name: "SPA", appType: "spa", authMethod: "none", grantTypes: ["authorization_code", "refresh_token"])
            let secretFromPublic = try await client.form(
                "/oauth/token", ["grant_type": "authorization_code", "client_id": spa.id, "client_secret": "guess", "code": "x"])
            #expect(secretFromPublic.status == .badRequest, "\(secretFromPublic.text)")
            #expect(secretFromPublic.json["error"] == "invalid_request")
            // HTTP Basic keeps working for confidential clients (§2.3.1).
            let basicOnly = try await client.form(
                "/oauth/token", ["grant_type": "client_credentials", "audience": TestServer.issuer + "api/v2/"],
                headers: [.authorization: "Basic \(basic)"])
            #expect(basicOnly.status == .ok)
        }
    }

    @Test("code_challenge must be 43–128 characters of the unreserved set (RFC 7636 §4.2)")
    func codeChallengeShape() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            for challenge in [
                "short", String(repeating: "a", count: 129), String(repeating: "a", count: 42) + "%2B",
                String(repeating: "a", count: 43) + "%20",
            ] {
                let uri =
                    "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)"
                    + "&scope=openid&state=s&code_challenge=\(challenge)&code_challenge_method=S256"
                let reply = try await client.request(.get, uri)
                #expect(reply.status == .found)
                #expect(reply.redirectQuery["error"] == "invalid_request", "\(challenge): \(reply.location ?? "")")
            }
        }
    }

    @Test("a body that is neither a form nor JSON is invalid_request; GET /oauth/token is 405 with Allow: POST")
    func bodiesAndMethods() async throws {
        try await TestServer.run { client in
            for contentType in ["text/plain", "application/xml", ""] {
                var headers: HTTPFields = [:]
                if !contentType.isEmpty { headers[.contentType] = contentType }
                let reply = try await client.request(.post, "/oauth/token", headers: headers, body: Self.m2m)
                #expect(reply.status == .badRequest, "\(contentType): \(reply.text)")
                #expect(reply.json["error"] == "invalid_request")
            }
            let json = try await client.json(
                .post, "/oauth/token",
                .object([
                    "grant_type": "client_credentials", "client_id": .string(TestServer.bootstrapID),
                    "client_secret": .string(TestServer.bootstrapSecret), "audience": .string(TestServer.issuer + "api/v2/"),
                ]))
            #expect(json.status == .ok, "JSON bodies stay accepted, as on Auth0")
            let get = try await client.request(.get, "/oauth/token")
            #expect(get.status == .methodNotAllowed)
            #expect(get.headers[.allow] == "POST")
            #expect(get.json["error"] == "invalid_request")
        }
    }
}
