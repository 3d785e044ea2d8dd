import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

/// Password-change and email-verification tickets (Auth0 Management API "Tickets") and the hosted
/// pages behind them.
@Suite("Account tickets: reset a password, verify an e-mail") struct AccountTicketTests {
    static func ticketToken(_ link: String) -> String {
        URLComponents(string: link)?.queryItems?.first { $0.name == "ticket" }?.value ?? ""
    }

    @Test("a password-change ticket: the page lists the rules, refuses a mismatch or a weak password, works once, lifts blocks")
    func passwordChange() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createAPI()
            let userID = try await fixtures.createUser()
            // Ten wrong passwords from one address block this user there (brute-force protection).
            for _ in 0..<10 {
                var wrong = PostLoginTests.passwordRealm(app, scope: "openid")
                wrong["password"] = "not-the-password"
                _ = try await client.form("/oauth/token", wrong)
            }
            let blocked = try await client.form("/oauth/token", PostLoginTests.passwordRealm(app, scope: "openid"))
            #expect(blocked.status == .tooManyRequests, "\(blocked.text)")

            let created = try await client.json(
                .post, "/api/v2/tickets/password-change",
                .object([
                    "user_id": .string(userID), "client_id": .string(app.id), "result_url": "https://app.example/done?from=reset",
                    "mark_email_as_verified": true, "includeEmailInRedirect": true, "ttl_sec": 600,
                ]), token: fixtures.token)
            #expect(created.status == .created, "\(created.text)")
            let link = try #require(created.json["ticket"]?.stringValue)
            #expect(link.hasPrefix(TestServer.issuer + "u/reset-password?ticket="))
            let path = "/u/reset-password?ticket=" + Self.ticketToken(link)
            let page = try await client.request(.get, path, sendCookies: false)
            #expect(page.status == .ok && page.text.contains("At least 8 characters in length") && page.text.contains("Web App"))
            let ticket = try #require(page.hiddenInput("ticket"))

            let mismatch = try await client.form("/u/reset-password", ["ticket": ticket, "password": "new-horse-42", "confirm": "x"])
            #expect(mismatch.status == .badRequest && mismatch.text.contains("not the same"))
            let weak = try await client.form("/u/reset-password", ["ticket": ticket, "password": "short", "confirm": "short"])
            #expect(weak.text.contains("Password is too weak: At least 8 characters in length."), "\(weak.text)")

            let done = try await client.form(
                "/u/reset-password", ["ticket": ticket, "password": "new-horse-42", "confirm": "new-horse-42"])
            #expect(done.status == .found)
            #expect(done.location?.hasPrefix("https://app.example/done?from=reset&success=true&message=") == true, "\(done.location ?? "")")
            #expect(done.redirectQuery["email"] == "jane@example.com")
            let again = try await client.form(
                "/u/reset-password", ["ticket": ticket, "password": "other-horse-43", "confirm": "other-horse-43"])
            #expect(again.text.contains("already used"))

            var login = PostLoginTests.passwordRealm(app, scope: "openid")
            #expect(try await client.form("/oauth/token", login).status == .forbidden, "the old password no longer works")
            login["password"] = "new-horse-42"
            let fresh = try await client.form("/oauth/token", login)
            #expect(fresh.status == .ok, "the reset lifted the block: \(fresh.text)")
            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.json["email_verified"] == true)
            #expect(user.json["last_password_reset"] != nil)
        }
    }

    @Test("an email-verification ticket: the link shows a button (opening it changes nothing), the POST verifies once")
    func emailVerification() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            let created = try await client.json(
                .post, "/api/v2/tickets/email-verification", .object(["user_id": .string(userID)]), token: fixtures.token)
            let link = try #require(created.json["ticket"]?.stringValue, "\(created.text)")
            let token = Self.ticketToken(link)
            let page = try await client.request(.get, "/u/email-verification?ticket=\(token)")
            #expect(page.text.contains("jane@example.com") && page.text.contains("Verify my email"))
            #expect(try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token).json["email_verified"] == false)
            let verified = try await client.form("/u/email-verification", ["ticket": token])
            #expect(verified.status == .ok && verified.text.contains("Your email was verified."))
            #expect(try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token).json["email_verified"] == true)
            #expect(try await client.form("/u/email-verification", ["ticket": token]).text.contains("already used"))
            // An email-verification link does not open the reset page.
            let other = try await client.json(
                .post, "/api/v2/tickets/email-verification", .object(["user_id": .string(userID)]), token: fixtures.token)
            let otherToken = Self.ticketToken(other.json["ticket"]?.stringValue ?? "")
            #expect(try await client.request(.get, "/u/reset-password?ticket=\(otherToken)").text.contains("not valid"))

            // An expired ticket says so.
            let expiredToken = "expired-ticket-token"
            try await client.server.services.storage.read {
                try await $0.accountTickets.insert(
                    tokenHash: SecretComparison.digest(expiredToken),
                    AccountTicketRecord(kind: .emailVerification, user_id: userID, created_at: 0, expires_at: 1))
            }
            #expect(try await client.request(.get, "/u/email-verification?ticket=\(expiredToken)").text.contains("expired"))
            // A forged or oversized ticket is simply not valid (never a 500), on either page.
            let oversized = String(repeating: "a", count: 5000)
            #expect(try await client.request(.get, "/u/email-verification?ticket=\(oversized)").text.contains("not valid"))
            let forged = try await client.form("/u/reset-password", ["ticket": oversized, "password": "x", "confirm": "x"])
            #expect(forged.status == .badRequest && forged.text.contains("not valid"), "\(forged.text)")
        }
    }

    @Test("ticket requests are checked: lifetime, result_url, the user, the client, the scope")
    func validation() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            func post(_ path: String, _ body: [String: JSONValue], token: String? = nil) async throws -> TestClient.Reply {
                try await client.json(.post, "/api/v2/tickets/\(path)", .object(body), token: token ?? fixtures.token)
            }
            #expect(try await post("password-change", ["user_id": .string(userID), "ttl_sec": 99_999_999]).status == .badRequest)
            #expect(
                try await post("password-change", ["user_id": .string(userID), "result_url": "javascript:alert(1)"]).status == .badRequest)
            #expect(try await post("password-change", [:]).status == .badRequest)
            #expect(try await post("password-change", ["user_id": "auth0|nobody"]).status == .notFound)
            #expect(try await post("email-verification", ["user_id": .string(userID), "client_id": "nope"]).status == .notFound)
            #expect(try await post("email-verification", [:]).status == .badRequest)
            let connections = try await client.json(.get, "/api/v2/connections", token: fixtures.token)
            let connectionID = connections.json["connections"]?.arrayValue?.first?["id"] ?? connections.json.arrayValue?.first?["id"]
            let byEmail = try await post(
                "password-change", ["email": "jane@example.com", "connection_id": try #require(connectionID, "\(connections.text)")])
            #expect(byEmail.status == .created, "\(byEmail.text)")
            let narrow = try await client.managementToken(scope: "read:users")
            #expect(try await post("password-change", ["user_id": .string(userID)], token: narrow).status == .forbidden)
        }
    }
}
