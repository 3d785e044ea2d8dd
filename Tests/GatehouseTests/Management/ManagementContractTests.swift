import Foundation
import GatehouseCore
import HTTPTypes
import Testing

@testable import GatehouseHTTP

/// "An API that says what it accepts" (`docs/SECURITY.md`, "Server"): bodies are checked against
/// the schema the OpenAPI document declares, undeclared methods are 405, writes are audited.
@Suite("Management API contract: what it accepts, declares and records") struct ManagementContractTests {
    static func expectBadRequest(_ reply: TestClient.Reply, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == .badRequest, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json["statusCode"] == 400, sourceLocation: sourceLocation)
        #expect(reply.json["error"] == "Bad Request", sourceLocation: sourceLocation)
        #expect(reply.json["errorCode"] == "invalid_body", sourceLocation: sourceLocation)
        #expect(reply.json["message"]?.stringValue == message, sourceLocation: sourceLocation)
    }

    @Test("null or a wrong type for a field that is not nullable is a 400 naming the property; nothing changes")
    func nullAndWrongTypesAreRefused() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp(name: "Keep")
            let path = "/api/v2/clients/\(app.id)"
            Self.expectBadRequest(
                try await client.json(.patch, path, .object(["name": .null]), token: fixtures.token),
                "Payload validation error: 'Expected type string but found type null' on property name.")
            Self.expectBadRequest(
                try await client.json(.patch, path, .object(["callbacks": .null]), token: fixtures.token),
                "Payload validation error: 'Expected type array but found type null' on property callbacks.")
            Self.expectBadRequest(
                try await client.json(.patch, path, .object(["name": 5]), token: fixtures.token),
                "Payload validation error: 'Expected type string but found type integer' on property name.")
            Self.expectBadRequest(
                try await client.json(.patch, path, .object(["callbacks": .array([.null])]), token: fixtures.token),
                "Payload validation error: 'Expected type string but found type null' on property callbacks[0].")
            Self.expectBadRequest(
                try await client.json(
                    .patch, path, .object(["jwt_configuration": .object(["lifetime_in_seconds": "1"])]), token: fixtures.token),
                "Payload validation error: 'Expected type integer but found type string' on property jwt_configuration.lifetime_in_seconds."
            )
            Self.expectBadRequest(
                try await client.json(.patch, path, .object(["app_type": "mainframe"]), token: fixtures.token),
                "Payload validation error: 'No enum match for: \"mainframe\"' on property app_type.")
            let unchanged = try await client.json(.get, path, token: fixtures.token)
            #expect(unchanged.json["name"] == "Keep")
            #expect(unchanged.json["callbacks"] == .array(["https://app.example/callback"]))

            let user = try await fixtures.createUser()
            Self.expectBadRequest(
                try await client.json(.patch, "/api/v2/users/\(user)", .object(["blocked": .null]), token: fixtures.token),
                "Payload validation error: 'Expected type boolean but found type null' on property blocked.")
            Self.expectBadRequest(
                try await client.json(.patch, "/api/v2/users/\(user)", .object(["user_metadata": .null]), token: fixtures.token),
                "Payload validation error: 'Expected type object but found type null' on property user_metadata.")
            Self.expectBadRequest(
                try await client.json(.post, "/api/v2/roles", .array([]), token: fixtures.token),
                "Payload validation error: 'Expected type object but found type array'.")
        }
    }

    @Test("metadata keep their semantics: a null value removes that key, in app, user and client metadata")
    func metadataNullsRemoveKeys() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let user = try await fixtures.createUser()
            let set = try await client.json(
                .patch, "/api/v2/users/\(user)",
                .object(["user_metadata": .object(["a": 1, "b": 2]), "app_metadata": .object(["plan": "pro", "x": true])]),
                token: fixtures.token)
            #expect(set.status == .ok, "\(set.text)")
            let removed = try await client.json(
                .patch, "/api/v2/users/\(user)",
                .object(["user_metadata": .object(["a": .null]), "app_metadata": .object(["x": .null])]), token: fixtures.token)
            #expect(removed.status == .ok, "\(removed.text)")
            #expect(removed.json["user_metadata"] == .object(["b": 2]))
            #expect(removed.json["app_metadata"] == .object(["plan": "pro"]))

            let created = try await client.json(
                .post, "/api/v2/clients", .object(["name": "meta", "client_metadata": .object(["a": "1", "b": "2", "c": .null])]),
                token: fixtures.token)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["client_metadata"] == .object(["a": "1", "b": "2"]))
            let id = try #require(created.json["client_id"]?.stringValue)
            let patched = try await client.json(
                .patch, "/api/v2/clients/\(id)", .object(["client_metadata": .object(["a": .null, "d": "4"])]), token: fixtures.token)
            #expect(patched.status == .ok, "\(patched.text)")
            #expect(patched.json["client_metadata"] == .object(["b": "2", "d": "4"]))
            Self.expectBadRequest(
                try await client.json(
                    .patch, "/api/v2/clients/\(id)", .object(["client_metadata": .object(["a": 1])]), token: fixtures.token),
                "Payload validation error: 'Expected type string but found type integer' on property client_metadata.a.")
        }
    }

    @Test("missing required properties are named; unknown top-level properties are refused")
    func requiredAndAdditionalProperties() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            Self.expectBadRequest(
                try await client.json(.post, "/api/v2/clients", .object([:]), token: fixtures.token),
                "Payload validation error: 'Missing required property: name'.")
            Self.expectBadRequest(
                try await client.json(.post, "/api/v2/client-grants", .object(["scope": .array([])]), token: fixtures.token),
                "Payload validation error: 'Missing required property: client_id, audience'.")
            Self.expectBadRequest(
                try await client.json(.post, "/api/v2/users", .object(["email": "a@example.com"]), token: fixtures.token),
                "Payload validation error: 'Missing required property: connection, password'.")
            Self.expectBadRequest(
                try await client.json(
                    .post, "/api/v2/clients", .object(["name": "x", "sso": true, "logo_uri": "y"]), token: fixtures.token),
                "Payload validation error: 'Additional properties not allowed: logo_uri,sso'.")
            Self.expectBadRequest(
                try await client.json(
                    .post, "/api/v2/roles/rol_x/permissions", .object(["permissions": .array([.object(["permission_name": "a"])])]),
                    token: fixtures.token),
                "Payload validation error: 'Missing required property: resource_server_identifier' on property permissions[0].")
            let lists = try await client.json(.get, "/api/v2/users?include_totals=yes", token: fixtures.token)
            #expect(lists.status == .badRequest)
            #expect(lists.json["errorCode"] == "invalid_query_string")
            let email = try await client.json(.get, "/api/v2/users-by-email", token: fixtures.token)
            #expect(email.json["message"] == "Query validation error: 'Missing required property: email'.")
        }
    }

    @Test("an undeclared method on a declared path is 405 with Allow, in Auth0's error shape; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await TestServer.run { client in
            for (method, path, allow) in [
                (HTTPRequest.Method.put, "/api/v2/clients", "GET, POST"), (.delete, "/api/v2/clients", "GET, POST"),
                (.put, "/api/v2/users/auth0%7Cabc", "GET, PATCH, DELETE"), (.get, "/api/v2/clients/abc/rotate-secret", "POST"),
                (.post, "/api/v2/logs", "GET"),
            ] {
                let reply = try await client.json(method, path)
                #expect(reply.status == .methodNotAllowed, "\(method) \(path): \(reply.status)")
                #expect(reply.headers[.allow] == allow, "\(method) \(path)")
                #expect(reply.json["statusCode"] == 405)
                #expect(reply.json["error"] == "Method Not Allowed")
                #expect(reply.json["message"]?.stringValue?.isEmpty == false)
            }
            #expect(try await client.json(.get, "/api/v2/no-such-thing").status == .notFound)
        }
    }

    @Test("writes are in the tenant log: sapi with the caller, fapi when refused; no secret or password ever is")
    func writesAreAudited() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp(name: "Audited")
            let password = "Pa55word-never-logged-\(UUID().uuidString)"
            let user = try await fixtures.createUser(email: "audit@example.com", password: password)
            let rotated = try await client.json(.post, "/api/v2/clients/\(app.id)/rotate-secret", token: fixtures.token)
            let newSecret = try #require(rotated.json["client_secret"]?.stringValue)
            let refused = try await client.json(.patch, "/api/v2/clients/\(app.id)", .object(["name": .null]), token: fixtures.token)
            #expect(refused.status == .badRequest)
            let passwordChange = "An0ther-secret-\(UUID().uuidString)"
            let changed = try await client.json(
                .patch, "/api/v2/users/\(user)", .object(["password": .string(passwordChange)]), token: fixtures.token)
            #expect(changed.status == .ok)
            #expect(try await client.json(.delete, "/api/v2/clients/nope").status == .unauthorized)
            _ = try await client.json(.get, "/api/v2/clients", token: fixtures.token)

            let reply = try await client.json(.get, "/api/v2/logs?per_page=100", token: fixtures.token)
            let logs = reply.json.arrayValue ?? []
            let api = logs.filter { ["sapi", "fapi"].contains($0["type"]?.stringValue ?? "") }
            func find(_ type: String, _ method: String, _ path: String) -> JSONValue? {
                api.first {
                    $0["type"]?.stringValue == type && $0["details"]?["request"]?["method"]?.stringValue == method
                        && $0["details"]?["request"]?["path"]?.stringValue == path
                }
            }
            let created = try #require(find("sapi", "POST", "/api/v2/clients"), "\(api)")
            #expect(created["client_id"]?.stringValue == TestServer.bootstrapID)
            #expect(created["details"]?["request"]?["auth"]?["subject"]?.stringValue == "\(TestServer.bootstrapID)@clients")
            #expect(created["details"]?["response"]?["statusCode"] == 201)
            #expect(created["description"] == "Create a client")
            #expect(find("sapi", "POST", "/api/v2/users") != nil)
            #expect(find("sapi", "POST", "/api/v2/clients/\(app.id)/rotate-secret") != nil)
            let failed = try #require(find("fapi", "PATCH", "/api/v2/clients/\(app.id)"), "\(api)")
            #expect(failed["client_id"]?.stringValue == TestServer.bootstrapID)
            #expect(failed["details"]?["response"]?["statusCode"] == 400)
            #expect(failed["description"]?.stringValue?.contains("property name") == true)
            let anonymous = try #require(find("fapi", "DELETE", "/api/v2/clients/nope"), "\(api)")
            #expect(anonymous["client_id"] == nil)
            #expect(anonymous["details"]?["response"]?["statusCode"] == 401)
            // Reads are not logged.
            #expect(!api.contains { $0["details"]?["request"]?["method"]?.stringValue == "GET" })
            // No secret, password or token anywhere in the log.
            for secret in [app.secret ?? "", newSecret, password, passwordChange, fixtures.token, TestServer.bootstrapSecret] {
                #expect(!secret.isEmpty)
                #expect(!reply.text.contains(secret))
            }
        }
    }

    @Test("the OpenAPI document declares required properties, nullability and both shapes of a list")
    func documentDeclaresTheContract() async throws {
        try await TestServer.run { client in
            let document = try await client.json(.get, "/api/v2/openapi.json").json
            let paths = try #require(document["paths"])
            func schema(_ operation: JSONValue?) -> JSONValue? { operation?["requestBody"]?["content"]?["application/json"]?["schema"] }
            func response(_ operation: JSONValue?, _ status: String) -> JSONValue? {
                operation?["responses"]?[status]?["content"]?["application/json"]?["schema"]
            }

            // Request bodies: required, closed, typed, null only inside metadata.
            let createClient = try #require(schema(paths["/clients"]?["post"]))
            #expect(createClient["required"] == .array(["name"]))
            #expect(createClient["additionalProperties"] == false)
            #expect(createClient["properties"]?["name"] == .object(["type": "string", "minLength": 1]))
            #expect(createClient["properties"]?["callbacks"] == .object(["type": "array", "items": .object(["type": "string"])]))
            #expect(
                createClient["properties"]?["client_metadata"]?["additionalProperties"] == .object(["type": "string", "nullable": true]))
            #expect(createClient["properties"]?["app_type"]?["enum"]?.arrayValue?.contains("spa") == true)
            #expect(
                createClient["properties"]?["refresh_token"]?["properties"]?["leeway"]
                    == .object(["type": "integer", "minimum": 0, "maximum": 60]))
            let updateClient = try #require(schema(paths["/clients/{id}"]?["patch"]))
            #expect(updateClient["required"] == nil)
            let updateUser = try #require(schema(paths["/users/{id}"]?["patch"]))
            #expect(updateUser["properties"]?["user_metadata"] == .object(["type": "object", "additionalProperties": .object([:])]))
            #expect(updateUser["properties"]?["email"]?["nullable"] == nil)
            #expect(schema(paths["/users"]?["post"])?["required"] == .array(["connection", "password"]))

            // Responses: what is always there is required; what may be absent is nullable.
            let client = try #require(response(paths["/clients/{id}"]?["get"], "200"))
            let required = client["required"]?.arrayValue ?? []
            #expect(required.contains("client_id") && required.contains("name") && !required.contains("client_secret"))
            #expect(client["properties"]?["client_secret"] == .object(["type": "string", "nullable": true]))
            let user = try #require(response(paths["/users/{id}"]?["get"], "200"))
            #expect(user["required"]?.arrayValue?.contains("identities") == true)
            #expect(user["properties"]?["email"]?["nullable"] == true)

            // A list: a bare array, or the include_totals envelope, and its paging parameters.
            let users = try #require(response(paths["/users"]?["get"], "200")?["oneOf"]?.arrayValue)
            #expect(users.count == 2)
            #expect(users[0]["type"] == "array")
            #expect(users[1]["required"] == .array(["users", "start", "limit", "length", "total"]))
            let parameters = paths["/users"]?["get"]?["parameters"]?.arrayValue ?? []
            let perPage = try #require(parameters.first { $0["name"] == "per_page" })
            #expect(perPage["schema"] == .object(["type": "integer", "minimum": 1, "maximum": 100]))
            #expect(parameters.contains { $0["name"] == "include_totals" && $0["schema"]?["type"] == "boolean" })
            let grants = paths["/client-grants"]?["get"]?["parameters"]?.arrayValue ?? []
            #expect(grants.contains { $0["name"] == "audience" })
            let byEmail = paths["/users-by-email"]?["get"]?["parameters"]?.arrayValue ?? []
            #expect(byEmail.contains { $0["name"] == "email" && $0["required"] == true })
        }
    }

    @Test("actions answers, built by hand as JSON, fit the schemas the document declares for them")
    func actionsAnswersFitTheirSchemas() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let token = fixtures.token
            try await fixtures.bind(
                [Fixtures.BoundCode(name: "fits", code: "exports.onExecutePostLogin = async () => {};")], to: "post-login", version: "v3")
            let list = try await client.json(.get, "/api/v2/actions/actions", token: token)
            let id = try #require(list.json["actions"]?.arrayValue?.first?["id"]?.stringValue)
            let versions = try await client.json(.get, "/api/v2/actions/actions/\(id)/versions", token: token)
            let versionID = try #require(versions.json["versions"]?.arrayValue?.first?["id"]?.stringValue)
            let failing = try await client.json(
                .post, "/api/v2/actions/actions",
                .object([
                    "name": "broken", "code": "exports.x = ",
                    "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]),
                ]),
                token: token)
            let failingID = try #require(failing.json["id"]?.stringValue)
            let failed = try await ActionsAPITests.built(client, token, failingID)
            #expect(failed.json["errors"] != nil)
            let answers: [(String, JSONSchema, TestClient.Reply)] = [
                (
                    "list",
                    ManagementEndpoint.ResponseBody.pagedEnvelope(key: "actions", item: ActionEndpoints.actionSchema, perPageDefault: 50)
                        .schema, list
                ),
                ("action", ActionEndpoints.actionSchema, try await client.json(.get, "/api/v2/actions/actions/\(id)", token: token)),
                ("failed action", ActionEndpoints.actionSchema, failed),
                (
                    "versions",
                    ManagementEndpoint.ResponseBody.pagedEnvelope(key: "versions", item: ActionEndpoints.versionSchema, perPageDefault: 20)
                        .schema, versions
                ),
                (
                    "version", ActionEndpoints.versionSchema,
                    try await client.json(.get, "/api/v2/actions/actions/\(id)/versions/\(versionID)", token: token)
                ),
                (
                    "bindings",
                    ManagementEndpoint.ResponseBody.pagedEnvelope(key: "bindings", item: ActionEndpoints.bindingSchema, perPageDefault: 20)
                        .schema,
                    try await client.json(.get, "/api/v2/actions/triggers/post-login/bindings", token: token)
                ),
                (
                    "rollback", ActionEndpoints.versionSchema,
                    try await client.json(.post, "/api/v2/actions/actions/\(id)/versions/\(versionID)/deploy", token: token)
                ),
            ]
            for (name, schema, reply) in answers {
                #expect(reply.status == .ok, "\(name): \(reply.text)")
                #expect(
                    schema.violation(of: reply.json) == nil,
                    "\(name): \(String(describing: schema.violation(of: reply.json))) in \(reply.text)")
            }
        }
    }
}
