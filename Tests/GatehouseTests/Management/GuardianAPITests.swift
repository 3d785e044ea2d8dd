import Foundation
import GatehouseCore
import GatehouseIdentity
import Hummingbird
import Testing

@Suite("Management API: Guardian factors, enrollments and authentication methods (Auth0's paths and shapes)")
struct GuardianAPITests {
    @Test("factors: listed with Auth0's names; otp, sms and recovery-code can be enabled, the others are refused clearly")
    func factors() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let listed = try await client.json(.get, "/api/v2/guardian/factors", token: fixtures.token)
            #expect(listed.status == .ok)
            let names = listed.json.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(Set(names) == Set(GuardianFactorSettings.allNames))
            #expect(listed.json.arrayValue?.allSatisfy { $0["enabled"] == false } == true)

            let enabled = try await client.json(.put, "/api/v2/guardian/factors/otp", .object(["enabled": true]), token: fixtures.token)
            #expect(enabled.status == .ok && enabled.json == .object(["enabled": true]), "\(enabled.text)")
            let after = try await client.json(.get, "/api/v2/guardian/factors", token: fixtures.token)
            #expect(after.json.arrayValue?.first { $0["name"] == "otp" }?["enabled"] == true)

            for factor in ["push-notification", "webauthn-roaming", "email", "duo", "passkey"] {
                let refused = try await client.json(
                    .put, "/api/v2/guardian/factors/\(factor)", .object(["enabled": true]), token: fixtures.token)
                #expect(refused.status == .badRequest, "\(factor): \(refused.text)")
                #expect(refused.json["message"]?.stringValue?.contains("not supported") == true, "\(refused.text)")
                #expect(refused.json["statusCode"] == 400 && refused.json["errorCode"] == "unsupported")
                let disabled = try await client.json(
                    .put, "/api/v2/guardian/factors/\(factor)", .object(["enabled": false]), token: fixtures.token)
                #expect(disabled.status == .ok && disabled.json == .object(["enabled": false]))
            }
            let unknown = try await client.json(
                .put, "/api/v2/guardian/factors/carrier-pigeon", .object(["enabled": true]), token: fixtures.token)
            #expect(unknown.status == .badRequest && unknown.json["message"]?.stringValue?.contains("not a factor") == true)
            for body: JSONValue in [.object([:]), .object(["enabled": "yes"]), .object(["enabled": true, "extra": 1])] {
                let bad = try await client.json(.put, "/api/v2/guardian/factors/otp", body, token: fixtures.token)
                #expect(bad.status == .badRequest, "\(body.jsonText()): \(bad.text)")
            }
            let readOnly = try await client.managementToken(scope: "read:guardian_factors")
            let forbidden = try await client.json(.put, "/api/v2/guardian/factors/sms", .object(["enabled": true]), token: readOnly)
            #expect(forbidden.status == .forbidden, "\(forbidden.text)")
        }
    }

    @Test("the phone factor's provider: auth0 by default, Auth0's three names accepted, anything else refused")
    func phoneProvider() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let path = "/api/v2/guardian/factors/phone/selected-provider"
            #expect(try await client.json(.get, path, token: fixtures.token).json == .object(["provider": "auth0"]))
            let bad = try await client.json(.put, path, .object(["provider": "carrier-pigeon"]), token: fixtures.token)
            #expect(bad.status == .badRequest, "\(bad.text)")
            let set = try await client.json(.put, path, .object(["provider": "phone-message-hook"]), token: fixtures.token)
            #expect(set.status == .ok && set.json == .object(["provider": "phone-message-hook"]))
            #expect(try await client.json(.get, path, token: fixtures.token).json == .object(["provider": "phone-message-hook"]))
        }
    }

    @Test("a user's enrollments and authentication methods: listed without secrets, fetched, deleted; recovery code regenerated")
    func userMethods() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            for factor in ["otp", "recovery-code"] {
                _ = try await client.json(.put, "/api/v2/guardian/factors/\(factor)", .object(["enabled": true]), token: fixtures.token)
            }
            let mfa = client.server.services.multifactor
            let start = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane")
            let now = Timestamp.nowMillis()
            _ = try await mfa.confirmTOTPEnrollment(
                userID: userID, enrollmentID: start.enrollmentID, code: AuthenticatorApp.code(secret: start.secret, at: now), now: now)
            let user = userID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? userID

            let enrollments = try await client.json(.get, "/api/v2/users/\(user)/enrollments", token: fixtures.token)
            #expect(enrollments.status == .ok)
            let guardian = try #require(enrollments.json.arrayValue)
            #expect(guardian.count == 1)
            #expect(guardian.first?["id"] == .string(start.enrollmentID) && guardian.first?["status"] == "confirmed")
            #expect(guardian.first?["auth_method"] == "authenticator" && guardian.first?["enrolled_at"]?.stringValue != nil)

            let methods = try await client.json(.get, "/api/v2/users/\(user)/authentication-methods", token: fixtures.token)
            #expect(methods.status == .ok)
            let list = try #require(methods.json.arrayValue)
            #expect(list.map { $0["type"]?.stringValue ?? "" } == ["totp", "recovery-code"])
            #expect(list.first?["id"] == .string("totp|\(start.enrollmentID)") && list.first?["confirmed"] == true)
            #expect(!methods.text.contains(start.secret) && !enrollments.text.contains(start.secret))
            let totals = try await client.json(
                .get, "/api/v2/users/\(user)/authentication-methods?include_totals=true&per_page=1", token: fixtures.token)
            #expect(totals.json["total"] == 2 && totals.json["authenticators"]?.arrayValue?.count == 1, "\(totals.text)")

            let methodID = "totp%7C\(start.enrollmentID)"
            let one = try await client.json(.get, "/api/v2/users/\(user)/authentication-methods/\(methodID)", token: fixtures.token)
            #expect(one.status == .ok && one.json["type"] == "totp", "\(one.text)")
            let missing = try await client.json(
                .get, "/api/v2/users/\(user)/authentication-methods/totp%7Cdev_nothing", token: fixtures.token)
            #expect(missing.status == .notFound && missing.json["errorCode"] == "authentication_method_not_found")

            let regenerated = try await client.json(.post, "/api/v2/users/\(user)/recovery-code-regeneration", token: fixtures.token)
            #expect(regenerated.status == .ok, "\(regenerated.text)")
            let code = try #require(regenerated.json["recovery_code"]?.stringValue)
            #expect(code.count == 24)
            _ = try await mfa.verifyRecoveryCode(userID: userID, code: code)

            let deleted = try await client.json(.delete, "/api/v2/guardian/enrollments/\(start.enrollmentID)", token: fixtures.token)
            #expect(deleted.status == .noContent, "\(deleted.text)")
            // The recovery code went with the user's last authenticator.
            #expect(try await client.json(.get, "/api/v2/users/\(user)/authentication-methods", token: fixtures.token).json == .array([]))
            let again = try await client.json(.delete, "/api/v2/guardian/enrollments/\(start.enrollmentID)", token: fixtures.token)
            #expect(again.status == .notFound)

            // A new enrolment, removed through the user's authentication methods.
            let second = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane")
            let byMethod = try await client.json(
                .delete, "/api/v2/users/\(user)/authentication-methods/totp%7C\(second.enrollmentID)", token: fixtures.token)
            #expect(byMethod.status == .noContent, "\(byMethod.text)")
            _ = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane")
            _ = try await client.json(.post, "/api/v2/users/\(user)/recovery-code-regeneration", token: fixtures.token)
            let reset = try await client.json(.delete, "/api/v2/users/\(user)/authentication-methods", token: fixtures.token)
            #expect(reset.status == .noContent)
            #expect(try await mfa.enrollments(userID: userID) == [])

            for (method, path) in [
                (HTTPRequest.Method.get, "enrollments"), (.get, "authentication-methods"), (.delete, "authentication-methods"),
                (.post, "recovery-code-regeneration"), (.post, "multifactor/actions/invalidate-remember-browser"),
            ] {
                let reply = try await client.json(method, "/api/v2/users/auth0%7Cnobody/\(path)", token: fixtures.token)
                #expect(reply.status == .notFound, "\(method) \(path): \(reply.text)")
            }
            let narrow = try await client.managementToken(scope: "read:users")
            let refused = try await client.json(.get, "/api/v2/users/\(user)/authentication-methods", token: narrow)
            #expect(refused.status == .forbidden)
        }
    }

    @Test("every MFA endpoint is in the OpenAPI document")
    func openAPI() async throws {
        try await TestServer.run { client in
            let document = try await client.json(.get, "/api/v2/openapi.json")
            let paths = try #require(document.json["paths"]?.objectValue)
            for path in [
                "/guardian/factors", "/guardian/factors/{name}", "/guardian/factors/phone/selected-provider", "/guardian/enrollments/{id}",
                "/users/{id}/enrollments", "/users/{id}/authentication-methods", "/users/{id}/authentication-methods/{method_id}",
                "/users/{id}/recovery-code-regeneration", "/users/{id}/multifactor/actions/invalidate-remember-browser",
            ] {
                #expect(paths[path] != nil, "\(path) missing from \(paths.keys.sorted())")
            }
        }
    }
}
