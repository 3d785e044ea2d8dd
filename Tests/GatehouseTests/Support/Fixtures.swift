import Crypto
import Foundation
import GatehouseCore

/// Builds the tenant objects most tests need through the Management API, as a user would.
struct Fixtures {
    let client: TestClient
    let token: String

    static func make(_ client: TestClient) async throws -> Fixtures {
        Fixtures(client: client, token: try await client.managementToken())
    }

    struct App {
        let id: String
        let secret: String?
    }

    func createApp(
        name: String = "Web App", appType: String = "regular_web", authMethod: String? = nil,
        grantTypes: [String] = [
            "authorization_code", "refresh_token", "password", "http://auth0.com/oauth/grant-type/password-realm", "client_credentials",
        ],
        callbacks: [String] = ["https://app.example/callback"], logoutURLs: [String] = ["https://app.example/logged-out"]
    ) async throws -> App {
        var body: [String: JSONValue] = [
            "name": .string(name), "app_type": .string(appType), "grant_types": .array(grantTypes.map(JSONValue.string)),
            "callbacks": .array(callbacks.map(JSONValue.string)), "allowed_logout_urls": .array(logoutURLs.map(JSONValue.string)),
        ]
        if let authMethod { body["token_endpoint_auth_method"] = .string(authMethod) }
        let reply = try await client.json(.post, "/api/v2/clients", .object(body), token: token)
        guard reply.status == .created, let id = reply.json["client_id"]?.stringValue else {
            throw TestFailure("cannot create client: \(reply.status) \(reply.text)")
        }
        return App(id: id, secret: reply.json["client_secret"]?.stringValue)
    }

    func createAPI(
        identifier: String = "https://api.example/", scopes: [String] = ["read:things", "write:things"], extra: [String: JSONValue] = [:]
    )
        async throws
    {
        var body: [String: JSONValue] = [
            "identifier": .string(identifier), "name": "Example API",
            "scopes": .array(scopes.map { .object(["value": .string($0), "description": .string($0)]) }),
        ]
        body.merge(extra) { _, new in new }
        let reply = try await client.json(.post, "/api/v2/resource-servers", .object(body), token: token)
        guard reply.status == .created else { throw TestFailure("cannot create API: \(reply.status) \(reply.text)") }
    }

    @discardableResult
    func createUser(email: String = "jane@example.com", password: String = "correct-horse-battery") async throws -> String {
        let reply = try await client.json(
            .post, "/api/v2/users",
            .object(["connection": "Username-Password-Authentication", "email": .string(email), "password": .string(password)]),
            token: token)
        guard reply.status == .created, let id = reply.json["user_id"]?.stringValue else {
            throw TestFailure("cannot create user: \(reply.status) \(reply.text)")
        }
        return id
    }
}

extension Fixtures {
    /// One action to deploy and bind.
    struct BoundCode {
        var name: String
        var code: String
        var failOpen: Bool = false
    }

    /// Creates, builds and deploys each action, then binds them all, in order, to `trigger`.
    func bind(_ actions: [BoundCode], to trigger: String, version: String) async throws {
        for action in actions {
            let created = try await client.json(
                .post, "/api/v2/actions/actions",
                .object([
                    "name": .string(action.name), "code": .string(action.code),
                    "supported_triggers": .array([.object(["id": .string(trigger), "version": .string(version)])]),
                ]), token: token)
            guard let id = created.json["id"]?.stringValue else { throw TestFailure("cannot create action: \(created.text)") }
            let built = try await ActionsAPITests.built(client, token, id)
            guard built.json["status"] == "built" else { throw TestFailure("action \(action.name) did not build: \(built.text)") }
            let deployed = try await client.json(.post, "/api/v2/actions/actions/\(id)/deploy", token: token)
            guard deployed.status == .ok else { throw TestFailure("cannot deploy \(action.name): \(deployed.text)") }
        }
        let bindings: JSONValue = .object([
            "bindings": .array(
                actions.map {
                    .object(["ref": .object(["type": "action_name", "value": .string($0.name)]), "fail_open": .bool($0.failOpen)])
                })
        ])
        let reply = try await client.json(.patch, "/api/v2/actions/triggers/\(trigger)/bindings", bindings, token: token)
        guard reply.status == .ok else { throw TestFailure("cannot bind to \(trigger): \(reply.text)") }
    }
}

enum PKCEPair {
    /// A fresh verifier and its S256 challenge (RFC 7636 §4.1–4.2).
    static func make() -> (verifier: String, challenge: String) {
        let verifier = RandomIdentifier.token(byteCount: 32)
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
        return (verifier, challenge)
    }
}
