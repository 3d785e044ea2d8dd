import Foundation
import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("Discovery and keys") struct DiscoveryTests {
    @Test("the discovery document names this issuer's endpoints")
    func discovery() async throws {
        try await TestServer.run { client in
            let reply = try await client.request(.get, "/.well-known/openid-configuration")
            #expect(reply.status == .ok)
            #expect(reply.json["issuer"]?.stringValue == TestServer.issuer)
            #expect(reply.json["token_endpoint"]?.stringValue == TestServer.issuer + "oauth/token")
            #expect(reply.json["jwks_uri"]?.stringValue == TestServer.issuer + ".well-known/jwks.json")
            #expect(reply.json["code_challenge_methods_supported"] == .array(["S256"]))
        }
    }

    @Test("every endpoint the discovery document advertises is served (none answers 404)")
    func advertisedEndpointsExist() async throws {
        try await TestServer.run { client in
            let document = try await client.request(.get, "/.well-known/openid-configuration").json
            #expect(document["registration_endpoint"] == nil)
            let names = [
                "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "revocation_endpoint", "jwks_uri",
                "end_session_endpoint",
            ]
            let advertised = (document.objectValue ?? [:]).keys.filter { $0.hasSuffix("_endpoint") || $0 == "jwks_uri" }
            #expect(Set(advertised) == Set(names))
            for name in names {
                let url = try #require(document[name]?.stringValue, "\(name)")
                #expect(url.hasPrefix(TestServer.issuer))
                let path = "/" + url.dropFirst(TestServer.issuer.count)
                let get = try await client.request(.get, path)
                let post = try await client.request(.post, path)
                #expect(get.status != .notFound || post.status != .notFound, "\(name) \(path) answers 404")
            }
        }
    }

    @Test("rotation adds a key: old tokens still verify, new tokens carry the new kid")
    func rotation() async throws {
        try await TestServer.run { client in
            let before = try await client.managementToken()
            let keys = try await client.request(.get, "/.well-known/jwks.json").json["keys"]?.arrayValue ?? []
            #expect(keys.count == 1)
            #expect(keys.first?["kty"] == "RSA")
            #expect(keys.first?["alg"] == "RS256")
            _ = try await SigningKeyringAccess.rotate(client)
            let after = try await client.managementToken()
            let jwks = try await client.request(.get, "/.well-known/jwks.json").json["keys"]?.arrayValue ?? []
            #expect(jwks.count == 2)
            let oldKid = try #require(JWTHeader.kid(of: before))
            let newKid = try #require(JWTHeader.kid(of: after))
            #expect(oldKid != newKid)
            #expect(Set(jwks.compactMap { $0["kid"]?.stringValue }) == [oldKid, newKid])
            #expect(try await client.json(.get, "/api/v2/clients", token: before).status == .ok)
            #expect(try await client.json(.get, "/api/v2/clients", token: after).status == .ok)
        }
    }

    @Test("the server warms its Actions workers at start-up")
    func sandboxWarm() async throws {
        try await TestServer.run { client in
            let workers = client.server.sandbox?.workerCount
            #expect(workers == 1)
        }
    }

    @Test("health and readiness answer")
    func health() async throws {
        try await TestServer.run { client in
            let healthz = try await client.request(.get, "/healthz")
            let readyz = try await client.request(.get, "/readyz")
            #expect(healthz.status == .ok)
            #expect(readyz.json["database"] == "ok")
        }
    }
}

enum SigningKeyringAccess {
    static func rotate(_ client: TestClient) async throws -> String {
        let kid = try await SigningKeyring.generateKey(into: client.server.services.storage)
        try await client.server.services.keyring.load()
        return kid
    }
}

enum JWTHeader {
    static func kid(of token: String) -> String? {
        guard let first = token.split(separator: ".").first, let data = Data(base64URLEncoded: String(first)) else { return nil }
        return JSONValue(jsonText: String(decoding: data, as: UTF8.self))?["kid"]?.stringValue
    }
}
