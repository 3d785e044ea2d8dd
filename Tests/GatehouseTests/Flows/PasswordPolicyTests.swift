import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Testing

/// Auth0's password options of a database connection, enforced at sign-up and password change,
/// and listed on the sign-up page before the person types.
@Suite("Password policy of database connections") struct PasswordPolicyTests {
    static func policy(_ level: String, minLength: Int = 8) -> PasswordPolicy {
        PasswordPolicy(ConnectionRecord.Options(password_min_length: minLength, passwordPolicy: level))
    }

    static func refusal(_ policy: PasswordPolicy, _ password: String, personal: [String?] = []) -> PasswordPolicyError? {
        do {
            try policy.check(password, personal: personal)
            return nil
        } catch { return error }
    }

    @Test("levels as Auth0 defines them: none/low length only, fair all three kinds, good 3 of 4, excellent 10 and no runs of 3")
    func levels() {
        #expect(Self.refusal(Self.policy("none", minLength: 1), "a") == nil)
        #expect(Self.refusal(Self.policy("low", minLength: 1), "abcde")?.name == "PasswordStrengthError")
        #expect(Self.refusal(Self.policy("low", minLength: 1), "abcdef") == nil)
        #expect(Self.refusal(Self.policy("fair"), "abcdefgh1") != nil, "fair needs upper case too")
        #expect(Self.refusal(Self.policy("fair"), "Abcdefgh1") == nil)
        #expect(Self.refusal(Self.policy("good"), "abcdefgh1") != nil, "only 2 of 4 kinds")
        #expect(Self.refusal(Self.policy("good"), "abcdefgh1!") == nil)
        #expect(Self.refusal(Self.policy("excellent"), "Abcdefg1!") != nil, "9 characters")
        #expect(Self.refusal(Self.policy("excellent"), "Abcdeffff1!") != nil, "fff")
        #expect(Self.refusal(Self.policy("excellent"), "Abcdeffg1!x") == nil)
        // min_length raises a level's length (never lowers it).
        #expect(Self.refusal(Self.policy("low", minLength: 12), "abcdefghijk") != nil)

        let weak = Self.refusal(Self.policy("good"), "abc")
        #expect(weak?.message == "Password is too weak")
        let rules = weak?.descriptionJSON["rules"]?.arrayValue ?? []
        #expect(rules.first?["code"] == "lengthAtLeast" && rules.first?["verified"] == false)
        #expect(rules.first?["format"] == .array([8]))
        #expect(rules.last?["code"] == "containsAtLeast" && rules.last?["items"]?.arrayValue?.first?["verified"] == true)
        #expect(
            Self.policy("good").description
                == """
                * At least 8 characters in length
                * Contain at least 3 of the following 4 types of characters:
                 * lower case letters (a-z)
                 * upper case letters (A-Z)
                 * numbers (i.e. 0-9)
                 * special characters (e.g. !@#$%^&*)
                """)
    }

    @Test("dictionary (built-in and the tenant's words) and personal information")
    func dictionaryAndPersonalInfo() {
        let options = ConnectionRecord.Options(
            password_no_personal_info: .init(enable: true), password_dictionary: .init(enable: true, dictionary: ["gatehouse2026"]))
        let policy = PasswordPolicy(options)
        #expect(Self.refusal(policy, "password123")?.name == "PasswordDictionaryError")
        #expect(Self.refusal(policy, "GateHouse2026")?.message == "Password is too common")
        #expect(Self.refusal(policy, "my-jane-secret", personal: ["jane@example.com"])?.name == "PasswordNoUserInfoError")
        #expect(Self.refusal(policy, "my-secret-words", personal: ["jane@example.com", "Jane Doe"]) == nil)
    }

    @Test("enforced at /dbconnections/signup (Auth0's rules shape), on the page, by the Management API, with history on change")
    func enforced() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let connections = try await client.json(
                .get, "/api/v2/connections?name=Username-Password-Authentication", token: fixtures.token)
            let connectionID = try #require(connections.json.arrayValue?.first?["id"]?.stringValue, "\(connections.text)")
            let invalid = try await client.json(
                .patch, "/api/v2/connections/\(connectionID)", .object(["options": .object(["passwordPolicy": "strong"])]),
                token: fixtures.token)
            #expect(invalid.status == .badRequest && invalid.json["message"]?.stringValue?.contains("passwordPolicy") == true)
            let patched = try await client.json(
                .patch, "/api/v2/connections/\(connectionID)",
                .object([
                    "options": .object([
                        "passwordPolicy": "good", "password_history": .object(["enable": true, "size": 2]),
                    ])
                ]), token: fixtures.token)
            #expect(patched.status == .ok, "\(patched.text)")
            #expect(patched.json["options"]?["passwordPolicy"] == "good")

            let weak = try await PreUserRegistrationTests.signup(client, app, email: "sam@example.com")
            #expect(weak.status == .badRequest)
            #expect(weak.json["name"] == "PasswordStrengthError" && weak.json["code"] == "invalid_password", "\(weak.text)")
            #expect(weak.json["message"] == "Password is too weak")
            #expect(weak.json["description"]?["rules"]?.arrayValue?.count == 2)
            #expect(weak.json["policy"]?.stringValue?.hasPrefix("* At least 8 characters in length") == true)

            let uri =
                "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&scope=openid"
                + "&screen_hint=signup&code_challenge=\(PKCEPair.make().challenge)&code_challenge_method=S256"
            let authorize = try await client.request(.get, uri)
            let page = try await client.request(.get, try #require(authorize.location))
            #expect(page.text.contains("<title>Sign up</title>"))
            #expect(page.text.contains("Contain at least 3 of the following 4 types of characters:"))
            #expect(page.text.contains("special characters (e.g. !@#$%^&amp;*)"))

            let created = try await client.json(
                .post, "/api/v2/users",
                .object(["connection": "Username-Password-Authentication", "email": "jane@example.com", "password": "Correct-horse-1"]),
                token: fixtures.token)
            #expect(created.status == .created, "\(created.text)")
            let userID = try #require(created.json["user_id"]?.stringValue)
            func change(_ password: String) async throws -> TestClient.Reply {
                try await client.json(.patch, "/api/v2/users/\(userID)", .object(["password": .string(password)]), token: fixtures.token)
            }
            let tooWeak = try await change("horse")
            #expect(tooWeak.status == .badRequest && tooWeak.json["message"] == "PasswordStrengthError: Password is too weak")
            let same = try await change("Correct-horse-1")
            #expect(same.json["message"] == "PasswordHistoryError: Password has previously been used", "\(same.text)")
            #expect(try await change("Second-horse-2").status == .ok)
            let previous = try await change("Correct-horse-1")
            #expect(previous.status == .badRequest, "the last 2 passwords (the current one included) are remembered")
            #expect(try await change("Third-horse-3").status == .ok)
            #expect(try await change("Correct-horse-1").status == .ok, "three passwords ago is allowed with a history of 2")
        }
    }

    @Test("the operator's dictionary file (GATEHOUSE_PASSWORD_DICTIONARY) is refused at sign-up; an unreadable file stops the start")
    func operatorDictionary() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dictionary-\(UUID().uuidString).txt")
        try "dragonfly2\r\n\nCorrect-Horse-Battery\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        var configuration = TestServer.configuration()
        configuration.passwordDictionaryFile = file.path
        try await TestServer.run(configuration) { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            // Off until the connection enables the dictionary rule.
            #expect(try await PreUserRegistrationTests.signup(client, app, email: "before@example.com").status == .ok)
            let connections = try await client.json(
                .get, "/api/v2/connections?name=Username-Password-Authentication", token: fixtures.token)
            let connectionID = try #require(connections.json.arrayValue?.first?["id"]?.stringValue)
            let patched = try await client.json(
                .patch, "/api/v2/connections/\(connectionID)",
                .object(["options": .object(["password_dictionary": .object(["enable": true])])]), token: fixtures.token)
            #expect(patched.status == .ok, "\(patched.text)")
            let refused = try await PreUserRegistrationTests.signup(client, app, email: "after@example.com")
            #expect(refused.status == .badRequest && refused.json["name"] == "PasswordDictionaryError", "\(refused.text)")
        }
        configuration.passwordDictionaryFile = "/nonexistent/dictionary.txt"
        await #expect {
            try await TestServer.run(configuration) { _ in }
        } throws: { error in
            "\(error)".contains("/nonexistent/dictionary.txt cannot be read")
        }
    }
}
