import Foundation
import GatehouseCore
import GatehouseStorage
import HTTPTypes
import Hummingbird
import Testing

/// The attacks of the "Server trust" issue, replayed against the real application.
@Suite("Brute-force protection, suspicious-IP throttling and user blocks") struct BruteForceProtectionTests {
    static let realm = "http://auth0.com/oauth/grant-type/password-realm"

    static func passwordFields(_ app: Fixtures.App, username: String = "jane@example.com", password: String) -> [String: String] {
        [
            "grant_type": realm, "client_id": app.id, "client_secret": app.secret ?? "", "username": username, "password": password,
            "realm": "Username-Password-Authentication", "scope": "openid",
        ]
    }

    static func formBody(_ fields: [String: String]) -> String {
        fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }
            .joined(separator: "&")
    }

    /// A configuration whose server believes `X-Forwarded-For` from the loopback address.
    static func behindProxy() -> GatehouseConfiguration {
        var configuration = TestServer.configuration()
        configuration.trustedProxies = [IPAddressRange("127.0.0.1")!, IPAddressRange("::1")!]
        return configuration
    }

    @Test("61 concurrent guesses: at most max_attempts passwords are checked, and the right one is refused once blocked")
    func concurrentGuesses() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let settings = try await client.json(
                .patch, "/api/v2/attack-protection/brute-force-protection", .object(["max_attempts": 10]), token: fixtures.token)
            #expect(settings.status == .ok, "\(settings.text)")
            let passwords = client.server.services.passwords.statistics
            let checkedBefore = passwords.verified
            let body = Self.formBody(Self.passwordFields(app, password: "wrong-guess"))
            let raw = client.client
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<60 {
                    group.addTask {
                        try await raw.execute(
                            uri: "/oauth/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                            body: ByteBuffer(string: body)
                        ).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .forbidden }.count == 10, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 50)
            let right = try await client.form("/oauth/token", Self.passwordFields(app, password: "correct-horse-battery"))
            #expect(right.status == .tooManyRequests, "\(right.text)")
            #expect(right.json["error"] == "too_many_attempts")
            #expect(passwords.verified - checkedBefore <= 10)
            let logs = try await client.json(.get, "/api/v2/logs?per_page=100", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.contains { $0["type"] == "limit_wc" })
        }
    }

    @Test("the hosted login page counts the same way: a right password after the limit is refused")
    func hostedPage() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            for _ in 0..<3 {
                #expect(try await AuthorizationCodeFlowTests.login(client, app: app, password: "wrong-password").status == .unauthorized)
            }
            let blocked = try await AuthorizationCodeFlowTests.login(client, app: app)
            #expect(blocked.status == .tooManyRequests)
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.contains { $0["type"] == "limit_wc" })
        }
    }

    @Test("failures from IP A block A only; user-blocks lists and lifts the block; X-Forwarded-For from a trusted proxy")
    func perIPAndUserBlocks() async throws {
        try await TestServer.run(Self.behindProxy(), setup: .live) { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser().replacingOccurrences(of: "|", with: "%7C")
            func attempt(_ password: String, from ip: String) async throws -> TestClient.Reply {
                try await client.request(
                    .post, "/oauth/token",
                    headers: [.contentType: "application/x-www-form-urlencoded", ClientAddressHeader.name: "203.0.113.9, \(ip)"],
                    body: Self.formBody(Self.passwordFields(app, password: password)))
            }
            for _ in 0..<3 { #expect(try await attempt("wrong-guess", from: "198.51.100.1").status == .forbidden) }
            #expect(try await attempt("correct-horse-battery", from: "198.51.100.1").status == .tooManyRequests)
            // The victim, from another IP, is not locked out.
            #expect(try await attempt("correct-horse-battery", from: "198.51.100.2").status == .ok)
            let expected: JSONValue = .object([
                "blocked_for": .array([
                    .object(["identifier": "jane@example.com", "ip": "198.51.100.1", "connection": "Username-Password-Authentication"])
                ])
            ])
            let byIdentifier = try await client.json(.get, "/api/v2/user-blocks?identifier=JANE@example.com", token: fixtures.token)
            #expect(byIdentifier.json == expected, "\(byIdentifier.text)")
            let byID = try await client.json(.get, "/api/v2/user-blocks/\(userID)", token: fixtures.token)
            #expect(byID.json == expected)
            let missing = try await client.json(.get, "/api/v2/user-blocks/auth0%7Cnobody", token: fixtures.token)
            #expect(missing.status == .notFound)
            let readOnly = try await client.managementToken(scope: "read:users")
            #expect(try await client.json(.delete, "/api/v2/user-blocks/\(userID)", token: readOnly).status == .forbidden)
            #expect(try await client.json(.delete, "/api/v2/user-blocks/\(userID)", token: fixtures.token).status == .noContent)
            #expect(
                try await client.json(.get, "/api/v2/user-blocks/\(userID)", token: fixtures.token).json
                    == .object(["blocked_for": .array([])]))
            #expect(try await attempt("correct-horse-battery", from: "198.51.100.1").status == .ok)
            // Blocked again, lifted by identifier this time.
            for _ in 0..<3 { _ = try await attempt("wrong-guess", from: "198.51.100.1") }
            #expect(try await attempt("correct-horse-battery", from: "198.51.100.1").status == .tooManyRequests)
            let lift = try await client.json(.delete, "/api/v2/user-blocks?identifier=jane@example.com", token: fixtures.token)
            #expect(lift.status == .noContent)
            #expect(try await attempt("correct-horse-battery", from: "198.51.100.1").status == .ok)
            // The tenant log records the client's address, not the proxy's.
            let logs = try await client.json(.get, "/api/v2/logs?per_page=100", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.contains { $0["type"] == "limit_wc" && $0["ip"] == "198.51.100.1" })
        }
    }

    @Test("X-Forwarded-For from an untrusted peer is ignored: every guess counts against the peer")
    func untrustedForwardedFor() async throws {
        try await TestServer.run(setup: .live) { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            for index in 0..<3 {
                let reply = try await client.request(
                    .post, "/oauth/token",
                    headers: [.contentType: "application/x-www-form-urlencoded", ClientAddressHeader.name: "198.51.100.\(index)"],
                    body: Self.formBody(Self.passwordFields(app, password: "wrong-guess")))
                #expect(reply.status == .forbidden)
            }
            let reply = try await client.request(
                .post, "/oauth/token",
                headers: [.contentType: "application/x-www-form-urlencoded", ClientAddressHeader.name: "198.51.100.99"],
                body: Self.formBody(Self.passwordFields(app, password: "correct-horse-battery")))
            #expect(reply.status == .tooManyRequests)
        }
    }

    @Test("an unknown user is checked against the dummy hash and answers exactly as a wrong password")
    func unknownUser() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let statistics = client.server.services.passwords.statistics
            let dummyBefore = statistics.dummyVerified
            let unknown = try await client.form("/oauth/token", Self.passwordFields(app, username: "nobody@example.com", password: "x"))
            #expect(statistics.dummyVerified == dummyBefore + 1)
            let wrong = try await client.form("/oauth/token", Self.passwordFields(app, password: "x"))
            #expect(statistics.dummyVerified == dummyBefore + 1)
            #expect(unknown.status == wrong.status)
            #expect(unknown.text == wrong.text)
        }
    }

    @Test("suspicious IP: failures across accounts throttle the IP (limit_mu); sign-ups per IP too")
    func suspiciousIP() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            for index in 0..<4 { try await fixtures.createUser(email: "user\(index)@example.com") }
            let patch: JSONValue = .object([
                "stage": .object([
                    "pre-login": .object(["max_attempts": 3, "rate": 3_600_000]),
                    "pre-user-registration": .object(["max_attempts": 2, "rate": 3_600_000]),
                ])
            ])
            let updated = try await client.json(.patch, "/api/v2/attack-protection/suspicious-ip-throttling", patch, token: fixtures.token)
            #expect(updated.json["stage"]?["pre-login"] == .object(["max_attempts": 3, "rate": 3_600_000]))
            // A right password gives its attempt back: only failures count against the IP.
            for _ in 0..<5 {
                let right = try await client.form(
                    "/oauth/token", Self.passwordFields(app, username: "user3@example.com", password: "correct-horse-battery"))
                #expect(right.status == .ok)
            }
            for index in 0..<3 {
                let reply = try await client.form(
                    "/oauth/token", Self.passwordFields(app, username: "user\(index)@example.com", password: "no"))
                #expect(reply.status == .forbidden)
            }
            let throttled = try await client.form(
                "/oauth/token", Self.passwordFields(app, username: "user3@example.com", password: "correct-horse-battery"))
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.json["error"] == "too_many_attempts")
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.contains { $0["type"] == "limit_mu" && $0["ip"] == "0.0.0.0" })
            // Allowlisted addresses are not throttled.
            _ = try await client.json(
                .patch, "/api/v2/attack-protection/suspicious-ip-throttling", .object(["allowlist": .array(["0.0.0.0/8"])]),
                token: fixtures.token)
            #expect(
                try await client.form(
                    "/oauth/token", Self.passwordFields(app, username: "user3@example.com", password: "correct-horse-battery")
                )
                .status == .ok)
            _ = try await client.json(
                .patch, "/api/v2/attack-protection/suspicious-ip-throttling", .object(["allowlist": .array([])]), token: fixtures.token)
            func signup(_ email: String) async throws -> TestClient.Reply {
                try await client.json(
                    .post, "/dbconnections/signup",
                    .object([
                        "client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": .string(email),
                        "password": "long-enough-password",
                    ]))
            }
            #expect(try await signup("a@example.com").status == .ok)
            #expect(try await signup("b@example.com").status == .ok)
            let third = try await signup("c@example.com")
            #expect(third.status == .tooManyRequests)
            #expect(third.json["code"] == "too_many_attempts")
        }
    }

    @Test("attack-protection settings: Auth0's defaults, PATCH merges, precise 400s, scopes")
    func settings() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let path = "/api/v2/attack-protection/brute-force-protection"
            let defaults = try await client.json(.get, path, token: token)
            #expect(
                defaults.json
                    == .object([
                        "enabled": true, "shields": .array(["block", "user_notification"]), "mode": "count_per_identifier_and_ip",
                        "allowlist": .array([]), "max_attempts": 3,
                    ]), "\(defaults.text)")
            let patched = try await client.json(
                .patch, path, .object(["allowlist": .array(["10.0.0.0/8", "2001:db8::1"]), "mode": "count_per_identifier"]), token: token)
            #expect(patched.json["allowlist"] == .array(["10.0.0.0/8", "2001:db8::1"]))
            #expect(patched.json["max_attempts"] == 3)
            #expect(try await client.json(.get, path, token: token).json == patched.json)
            let cases: [(JSONValue, String)] = [
                (.object(["enabled": "yes"]), "Expected type boolean but found type string' on property enabled"),
                (.object(["max_attempts": 0]), "on property max_attempts"),
                (.object(["max_attempts": .number(2.5)]), "Expected type integer but found type number' on property max_attempts"),
                (.object(["shields": .array(["block", "email"])]), "No enum match for: \"email\"' on property shields[1]"),
                (.object(["mode": "per_ip"]), "No enum match for: \"per_ip\"' on property mode"),
                (.object(["allowlist": .array(["10.0.0.0/33"])]), "on property allowlist[0]"),
                (.object(["lockout": true]), "Additional properties not allowed: lockout"),
            ]
            for (body, message) in cases {
                let reply = try await client.json(.patch, path, body, token: token)
                #expect(reply.status == .badRequest, "\(body)")
                #expect(reply.json["statusCode"] == 400)
                #expect(reply.json["error"] == "Bad Request")
                #expect(reply.json["errorCode"] == "invalid_body")
                #expect(reply.json["message"]?.stringValue?.contains(message) == true, "\(reply.text)")
            }
            let throttling = "/api/v2/attack-protection/suspicious-ip-throttling"
            let throttlingDefaults = try await client.json(.get, throttling, token: token)
            #expect(throttlingDefaults.json["stage"]?["pre-login"] == .object(["max_attempts": 100, "rate": 864_000]))
            #expect(throttlingDefaults.json["stage"]?["pre-user-registration"] == .object(["max_attempts": 50, "rate": 1_200]))
            #expect(throttlingDefaults.json["shields"] == .array(["block", "admin_notification"]))
            let badStage = try await client.json(
                .patch, throttling, .object(["stage": .object(["pre-login": .object(["rate": "fast"])])]), token: token)
            #expect(badStage.json["message"]?.stringValue?.contains("on property stage.pre-login.rate") == true, "\(badStage.text)")
            let unknownStage = try await client.json(
                .patch, throttling, .object(["stage": .object(["pre-logout": .object([:])])]), token: token)
            #expect(unknownStage.json["message"]?.stringValue?.contains("Additional properties not allowed: pre-logout") == true)
            let readOnly = try await client.managementToken(scope: "read:attack_protection")
            #expect(try await client.json(.get, path, token: readOnly).status == .ok)
            #expect(try await client.json(.patch, path, .object(["enabled": false]), token: readOnly).status == .forbidden)
        }
    }

    @Test("passwords longer than bcrypt reads (72 bytes) are refused wherever they are set")
    func longPasswords() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let long = String(repeating: "a", count: 72) + "b"
            #expect(long.utf8.count == 73)
            let created = try await client.json(
                .post, "/api/v2/users",
                .object(["connection": "Username-Password-Authentication", "email": "long@example.com", "password": .string(long)]),
                token: fixtures.token)
            #expect(created.status == .badRequest)
            #expect(created.json["message"]?.stringValue?.contains("at most 72 bytes") == true, "\(created.text)")
            // 72 bytes of accented letters are 36 characters: the limit is in bytes.
            let accented = String(repeating: "é", count: 37)
            let signup = try await client.json(
                .post, "/dbconnections/signup",
                .object([
                    "client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": "new@example.com",
                    "password": .string(accented),
                ]))
            #expect(signup.status == .badRequest)
            #expect(signup.json["code"] == "invalid_password")
            #expect(signup.json["name"] == "PasswordStrengthError")
            let userID = try await fixtures.createUser(password: String(repeating: "a", count: 72))
            let update = try await client.json(
                .patch, "/api/v2/users/\(userID)", .object(["password": .string(long)]), token: fixtures.token)
            #expect(update.status == .badRequest)
            // The hosted sign-up page explains it in words.
            let uri =
                "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&scope=openid"
                + "&screen_hint=signup&code_challenge=\(PKCEPair.make().challenge)&code_challenge_method=S256"
            let authorize = try await client.request(.get, uri)
            let page = try await client.request(.get, try #require(authorize.location))
            let state = try #require(page.hiddenInput("state"))
            let reply = try await client.form(
                "/u/signup?state=\(state)",
                ["state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "email": "page@example.com", "password": long])
            #expect(reply.status == .badRequest)
            #expect(reply.text.contains("This password is too long"))
        }
    }
}

enum ClientAddressHeader {
    static let name = HTTPField.Name("X-Forwarded-For")!
}
