import Foundation
import GatehouseCore
import Testing

/// `q` on `GET /api/v2/users` and `GET /api/v2/logs` (`ManagementSearch`, `SearchQuery`).
@Suite("Management API search: q on /users and /logs")
struct ManagementSearchTests {
    @Test("users: by e-mail domain, metadata, wildcard and range, paged with totals; a bad q is Auth0's 400")
    func users() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            for (email, plan) in [("ann@acme.example", "gold"), ("bob@acme.example", "free"), ("cat@other.example", "gold")] {
                let created = try await client.json(
                    .post, "/api/v2/users",
                    .object([
                        "connection": "Username-Password-Authentication", "email": .string(email), "password": "correct-horse-battery",
                        "app_metadata": .object(["plan": .string(plan)]),
                    ]), token: fixtures.token)
                #expect(created.status == .created, "\(created.text)")
            }
            func emails(_ q: String, _ extra: String = "") async throws -> [String] {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
                let reply = try await client.json(.get, "/api/v2/users?q=\(encoded)&search_engine=v3\(extra)", token: fixtures.token)
                #expect(reply.status == .ok, "\(q): \(reply.text)")
                return (reply.json.arrayValue ?? reply.json["users"]?.arrayValue ?? []).compactMap { $0["email"]?.stringValue }
            }
            #expect(try await emails("email.domain:acme.example") == ["ann@acme.example", "bob@acme.example"])
            #expect(try await emails("app_metadata.plan:gold") == ["ann@acme.example", "cat@other.example"])
            #expect(try await emails("app_metadata.plan:gold AND NOT email:cat*") == ["ann@acme.example"])
            #expect(try await emails("BOB") == ["bob@acme.example"], "a bare term searches the profile without case")
            #expect(try await emails("logins_count:[0 TO 0]").count == 3)
            let paged = try await client.json(
                .get, "/api/v2/users?q=app_metadata.plan%3Agold&per_page=1&page=1&include_totals=true", token: fixtures.token)
            #expect(paged.json["total"] == 2 && paged.json["users"]?.arrayValue?.first?["email"] == "cat@other.example", "\(paged.text)")

            for bad in ["name%3A", "user_metadata.city%3APar*", "(((", "name%3Ajane~"] {
                let refused = try await client.json(.get, "/api/v2/users?q=\(bad)", token: fixtures.token)
                #expect(refused.status == .badRequest && refused.json["errorCode"] == "invalid_query_string", "\(bad): \(refused.text)")
                #expect(refused.json["message"]?.stringValue?.hasPrefix("Invalid query: ") == true)
            }
            let v1 = try await client.json(.get, "/api/v2/users?q=jane&search_engine=v1", token: fixtures.token)
            #expect(v1.status == .badRequest)
        }
    }

    @Test("logs: by type, user and name, newest first")
    func logs() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createAPI()
            let userID = try await fixtures.createUser()
            var wrong = PostLoginTests.passwordRealm(app, scope: "openid")
            wrong["password"] = "not-the-password"
            _ = try await client.form("/oauth/token", wrong)
            _ = try await client.form("/oauth/token", PostLoginTests.passwordRealm(app, scope: "openid"))
            func types(_ q: String) async throws -> [String] {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
                let reply = try await client.json(.get, "/api/v2/logs?q=\(encoded)", token: fixtures.token)
                #expect(reply.status == .ok, "\(q): \(reply.text)")
                return (reply.json.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
            }
            let all = try await types("_exists_:type")
            #expect(all.count >= 2, "\(all)")
            // The failed password exchange (fepft), found by type; the user's own events by id.
            #expect(try await types("type:fepft") == ["fepft"])
            let mine = try await types("user_id:\"\(userID)\" AND NOT type:fepft")
            #expect(mine.contains("sepft") && !mine.contains("fepft"), "\(mine)")
            #expect(try await types("user_name:\"JANE@example.com\" AND type:f*") == ["fepft"], "user_name compares without case")
            #expect(try await types("type:nothing-like-this").isEmpty)
            // One event by its id (Auth0's GET /api/v2/logs/{id}).
            let newest = try await client.json(.get, "/api/v2/logs?per_page=1", token: fixtures.token).json.arrayValue?.first
            let logID = try #require(newest?["log_id"]?.stringValue)
            let one = try await client.json(.get, "/api/v2/logs/\(logID)", token: fixtures.token)
            #expect(one.status == .ok && one.json == newest, "\(one.text)")
            for unknown in ["no-such-log", String(repeating: "a", count: 5_000), "%27%20OR%201%3D1"] {
                let missing = try await client.json(.get, "/api/v2/logs/\(unknown)", token: fixtures.token)
                #expect(missing.status == .notFound && missing.json["errorCode"] == "inexistent_log", "\(missing.text)")
            }
            #expect(try await client.json(.get, "/api/v2/logs/\(logID)").status == .unauthorized)
            let refused = try await client.json(.get, "/api/v2/logs?q=type%3A%5B", token: fixtures.token)
            #expect(refused.status == .badRequest && refused.json["errorCode"] == "invalid_query_string")
        }
    }
}
