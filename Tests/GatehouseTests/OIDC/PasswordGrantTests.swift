import GatehouseCore
import Testing

@Suite("Password grants, sign-up and RBAC") struct PasswordGrantTests {
    @Test("password-realm logs a user in; the access token carries permissions when the API uses RBAC")
    func passwordRealmWithRBAC() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createAPI(extra: [
                "enforce_policies": true, "token_dialect": "access_token_authz", "allow_offline_access": true,
            ])
            let userID = try await fixtures.createUser()
            let role = try await client.json(.post, "/api/v2/roles", .object(["name": "reader"]), token: fixtures.token)
            let roleID = try #require(role.json["id"]?.stringValue)
            let permissions: JSONValue = .object([
                "permissions": .array([.object(["resource_server_identifier": "https://api.example/", "permission_name": "read:things"])])
            ])
            #expect(
                try await client.json(.post, "/api/v2/roles/\(roleID)/permissions", permissions, token: fixtures.token).status == .created)
            let assign = try await client.json(
                .post, "/api/v2/users/\(userID)/roles", .object(["roles": .array([.string(roleID)])]), token: fixtures.token)
            #expect(assign.status == .noContent)
            let reply = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "client_id": app.id,
                    "client_secret": app.secret ?? "", "username": "JANE@example.com", "password": "correct-horse-battery",
                    "realm": "Username-Password-Authentication", "audience": "https://api.example/",
                    "scope": "openid read:things write:things offline_access",
                ])
            #expect(reply.status == .ok, "\(reply.text)")
            let claims = jwtClaims(try #require(reply.json["access_token"]?.stringValue))
            #expect(claims["permissions"] == .array(["read:things"]))
            #expect(claims["scope"] == "openid read:things offline_access")
            #expect(claims["aud"] == .array(["https://api.example/", .string(TestServer.issuer + "userinfo")]))
            #expect(reply.json["refresh_token"]?.stringValue != nil)
            #expect(reply.json["id_token"]?.stringValue != nil)
        }
    }

    @Test("a wrong password is invalid_grant with 403, as Auth0 answers")
    func wrongPassword() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let reply = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "password", "client_id": app.id, "client_secret": app.secret ?? "", "username": "jane@example.com",
                    "password": "nope",
                ])
            #expect(reply.status == .forbidden)
            #expect(reply.json["error"] == "invalid_grant")
        }
    }

    @Test("/dbconnections/signup creates a user in Auth0's response shape and refuses duplicates")
    func signup() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let body: JSONValue = .object([
                "client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": "new@example.com",
                "password": "long-enough-password",
            ])
            let created = try await client.json(.post, "/dbconnections/signup", body)
            #expect(created.status == .ok)
            #expect(created.json["email"] == "new@example.com")
            #expect(created.json["email_verified"] == false)
            #expect(created.json["_id"]?.stringValue?.isEmpty == false)
            let again = try await client.json(.post, "/dbconnections/signup", body)
            #expect(again.status == .badRequest)
            #expect(again.json["code"] == "user_exists")
            var weak = body.objectValue ?? [:]
            weak["email"] = "other@example.com"
            weak["password"] = "short"
            let tooShort = try await client.json(.post, "/dbconnections/signup", .object(weak))
            #expect(tooShort.json["code"] == "invalid_password")
        }
    }
}
