import GatehouseCore
import Testing

@Suite("Management API") struct ManagementAPITests {
    @Test("no token is 401, a token without the scope is 403, both in Auth0's error shape")
    func authorization() async throws {
        try await TestServer.run { client in
            let missing = try await client.json(.get, "/api/v2/users")
            #expect(missing.status == .unauthorized)
            #expect(missing.json["statusCode"] == 401)
            #expect(missing.json["error"] == "Unauthorized")
            let garbage = try await client.json(.get, "/api/v2/users", token: "not.a.token")
            #expect(garbage.status == .unauthorized)
            let readOnly = try await client.managementToken(scope: "read:users")
            #expect(try await client.json(.get, "/api/v2/users", token: readOnly).status == .ok)
            let denied = try await client.json(.post, "/api/v2/users", .object(["connection": "x"]), token: readOnly)
            #expect(denied.status == .forbidden)
            #expect(denied.json["errorCode"] == "insufficient_scope")
            #expect(denied.json["message"] == "Insufficient scope, expected any of: create:users")
        }
    }

    @Test("users: create, read, merge metadata, paginate, find by email, delete")
    func userLifecycle() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let token = fixtures.token
            let id = try await fixtures.createUser()
            for index in 0..<3 { try await fixtures.createUser(email: "user\(index)@example.com") }
            let duplicate = try await client.json(
                .post, "/api/v2/users",
                .object(["connection": "Username-Password-Authentication", "email": "JANE@example.com", "password": "another-password"]),
                token: token)
            #expect(duplicate.status == .conflict)
            let patched = try await client.json(
                .patch, "/api/v2/users/\(id)",
                .object([
                    "app_metadata": .object(["plan": "pro", "roles": .array(["admin"])]), "user_metadata": .object(["theme": "dark"]),
                ]),
                token: token)
            #expect(patched.status == .ok)
            let merged = try await client.json(
                .patch, "/api/v2/users/\(id)", .object(["app_metadata": .object(["plan": .null, "team": "blue"])]), token: token)
            #expect(merged.json["app_metadata"] == .object(["roles": .array(["admin"]), "team": "blue"]))
            #expect(merged.json["user_metadata"] == .object(["theme": "dark"]))
            #expect(merged.json["identities"]?.arrayValue?.first?["provider"] == "auth0")
            let page = try await client.json(.get, "/api/v2/users?page=1&per_page=2&include_totals=true", token: token)
            #expect(page.json["total"] == 4)
            #expect(page.json["start"] == 2)
            #expect(page.json["users"]?.arrayValue?.count == 2)
            let byEmail = try await client.json(.get, "/api/v2/users-by-email?email=Jane@Example.com", token: token)
            #expect(byEmail.json.arrayValue?.first?["user_id"]?.stringValue == id)
            #expect(try await client.json(.delete, "/api/v2/users/\(id)", token: token).status == .noContent)
            let gone = try await client.json(.get, "/api/v2/users/\(id)", token: token)
            #expect(gone.status == .notFound)
            #expect(gone.json["errorCode"] == "inexistent_user")
        }
    }

    @Test(
        "invalid bodies are precise 400s, never 500s",
        arguments: [
            ("/api/v2/users", #"{"connection": 12}"#),
            ("/api/v2/users", #"{"connection": "Username-Password-Authentication", "email": "not-an-email", "password": "long-password"}"#),
            ("/api/v2/users", "[1,2]"),
            ("/api/v2/users", "{not json"),
            ("/api/v2/clients", #"{"name": "x", "app_type": "toaster"}"#),
            ("/api/v2/clients", #"{"name": "x", "callbacks": ["not a url"]}"#),
            ("/api/v2/resource-servers", #"{"name": "no identifier"}"#),
            ("/api/v2/client-grants", #"{"client_id": "x"}"#),
            ("/api/v2/connections", #"{"name": "bad name!", "strategy": "auth0"}"#),
        ])
    func badBodies(path: String, body: String) async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let reply = try await client.request(
                .post, path, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: body)
            #expect(reply.status == .badRequest, "\(reply.text)")
            #expect(reply.json["statusCode"] == 400)
            #expect(reply.json["message"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("clients: secrets only with read:client_keys, rotation changes the secret")
    func clientSecrets() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            #expect(app.secret != nil)
            try await fixtures.createAPI()
            let grant: JSONValue = .object([
                "client_id": .string(app.id), "audience": "https://api.example/", "scope": .array(["read:things"]),
            ])
            #expect(try await client.json(.post, "/api/v2/client-grants", grant, token: fixtures.token).status == .created)
            let withOldSecret = [
                "grant_type": "client_credentials", "client_id": app.id, "client_secret": app.secret ?? "",
                "audience": "https://api.example/",
            ]
            #expect(try await client.form("/oauth/token", withOldSecret).status == .ok)
            let noKeys = try await client.managementToken(scope: "read:clients")
            let hidden = try await client.json(.get, "/api/v2/clients/\(app.id)", token: noKeys)
            #expect(hidden.json["client_secret"] == nil)
            let rotated = try await client.json(.post, "/api/v2/clients/\(app.id)/rotate-secret", token: fixtures.token)
            #expect(rotated.json["client_secret"]?.stringValue != app.secret)
            let old = try await client.form(
                "/oauth/token",
                ["grant_type": "client_credentials", "client_id": app.id, "client_secret": app.secret ?? "", "audience": "x"])
            #expect(old.json["error"] == "invalid_client")
        }
    }

    /// Query parameters that routes need to answer at all.
    static let requiredQuery = ["/users-by-email": "?email=a@b.co", "/user-blocks": "?identifier=a@b.co"]

    @Test("the OpenAPI document lists exactly the routes the server answers")
    func openAPI() async throws {
        try await TestServer.run { client in
            let document = try await client.request(.get, "/api/v2/openapi.json").json
            #expect(document["openapi"] == "3.0.3")
            let paths = try #require(document["paths"]?.objectValue)
            #expect(paths.keys.contains("/users/{id}/roles"))
            let token = try await client.managementToken()
            for (path, operations) in paths {
                for method in operations.objectValue?.keys ?? [:].keys where method == "get" {
                    let concrete = path.replacing(/\{[A-Za-z]+\}/, with: "does-not-exist")
                    let reply = try await client.json(
                        .get, "/api/v2" + concrete + (Self.requiredQuery[path] ?? ""), token: token)
                    // Every documented route exists: it answers 200 or a 404 in Auth0's shape, never the router's bare 404.
                    #expect(
                        reply.status == .ok || (reply.json["statusCode"] == 404 && reply.json["errorCode"] != nil),
                        "\(path): \(reply.text)")
                }
            }
        }
    }

    @Test("roles: conflict on duplicate names, 404 on unknown roles")
    func roles() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            #expect(try await client.json(.post, "/api/v2/roles", .object(["name": "admin"]), token: token).status == .ok)
            let duplicate = try await client.json(.post, "/api/v2/roles", .object(["name": "admin"]), token: token)
            #expect(duplicate.status == .conflict)
            let unknown = try await client.json(.get, "/api/v2/roles/rol_nope", token: token)
            #expect(unknown.json["errorCode"] == "inexistent_role")
        }
    }
}
