import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

@testable import GatehouseIdentity

/// `/api/v2/branding/phone/providers` in Auth0's shapes: one provider per tenant (a second is
/// 409), credentials write-only (never in a response, sealed at rest), the `*:phone_providers`
/// scopes, Auth0's error bodies.
@Suite("Phone provider API: shapes, one per tenant, write-only credentials, scopes") struct PhoneProviderAPITests {
    static let path = "/api/v2/branding/phone/providers"

    @Test("create, read, list, 409 for a second, update to twilio and back, disable, delete; credentials never answered")
    func lifecycle() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let token = fixtures.token
            let empty = try await client.json(.get, Self.path, token: token)
            #expect(empty.status == .ok && empty.json == .object(["providers": .array([])]), "\(empty.text)")

            let created = try await client.json(
                .post, Self.path,
                .object([
                    "name": "custom", "configuration": .object(["delivery_methods": .array(["text", "voice"])]),
                    "credentials": .object([:]),
                ]), token: token)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"]?.stringValue)
            #expect(id.hasPrefix("pro_"))
            #expect(created.json["name"] == "custom" && created.json["channel"] == "phone" && created.json["disabled"] == false)
            #expect(created.json["tenant"] == "localhost")
            #expect(created.json["configuration"] == .object(["delivery_methods": .array(["text", "voice"])]))
            #expect(created.json["created_at"]?.stringValue?.hasSuffix("Z") == true && created.json["updated_at"] != nil)
            #expect(created.json["credentials"] == nil)

            let second = try await client.json(
                .post, Self.path, .object(["name": "custom", "configuration": .object(["delivery_methods": .array(["text"])])]),
                token: token)
            #expect(second.status == .conflict, "\(second.text)")
            #expect(second.json["statusCode"] == 409 && second.json["error"] == "Conflict")
            #expect(second.json["errorCode"] == "phone_provider_already_exists")
            #expect(second.json["message"]?.stringValue?.contains("one per tenant") == true)

            let read = try await client.json(.get, "\(Self.path)/\(id)", token: token)
            #expect(read.status == .ok && read.json == created.json, "\(read.text)")
            let missing = try await client.json(.get, "\(Self.path)/pro_nope", token: token)
            #expect(missing.status == .notFound && missing.json["errorCode"] == "inexistent_phone_provider", "\(missing.text)")

            // Twilio needs its account SID and auth token; the token never comes back.
            let noToken = try await client.json(
                .patch, "\(Self.path)/\(id)",
                .object(["name": "twilio", "configuration": .object(["sid": "AC123", "delivery_methods": .array(["text"])])]),
                token: token)
            #expect(noToken.status == .badRequest && noToken.json["message"]?.stringValue?.contains("auth_token") == true)
            let twilio = try await client.json(
                .patch, "\(Self.path)/\(id)",
                .object([
                    "name": "twilio",
                    "configuration": .object(["sid": "AC123", "default_from": "+15555550000", "delivery_methods": .array(["text"])]),
                    "credentials": .object(["auth_token": "twilio-secret-token-42"]),
                ]), token: token)
            #expect(twilio.status == .ok, "\(twilio.text)")
            #expect(twilio.json["name"] == "twilio" && twilio.json["id"] == .string(id) && twilio.json["credentials"] == nil)
            #expect(twilio.json["configuration"]?["sid"] == "AC123")
            let listed = try await client.json(.get, Self.path, token: token)
            #expect(listed.json["providers"]?.arrayValue?.count == 1)
            for reply in [twilio, listed, try await client.json(.get, "\(Self.path)/\(id)", token: token)] {
                #expect(!reply.text.contains("twilio-secret-token-42") && !reply.text.contains("auth_token"))
            }
            let stored = try #require(try await client.server.services.storage.read { try await $0.tenant.value("phone_provider") })
            #expect(!stored.contains("twilio-secret-token-42"), "credentials are sealed at rest")

            // A configuration member of the other provider is refused; back to custom drops the credentials.
            let sidOnCustom = try await client.json(.patch, "\(Self.path)/\(id)", .object(["name": "custom"]), token: token)
            #expect(sidOnCustom.status == .badRequest, "\(sidOnCustom.text)")
            #expect(sidOnCustom.json["message"]?.stringValue?.contains("does not apply to the custom provider") == true)
            let custom = try await client.json(
                .patch, "\(Self.path)/\(id)",
                .object(["name": "custom", "configuration": .object(["delivery_methods": .array(["text"])])]), token: token)
            #expect(custom.status == .ok && custom.json["name"] == "custom", "\(custom.text)")
            let bad = try await client.json(
                .patch, "\(Self.path)/\(id)", .object(["configuration": .object(["delivery_methods": .array(["sms"])])]), token: token)
            #expect(bad.status == .badRequest && bad.json["statusCode"] == 400, "\(bad.text)")
            let unknown = try await client.json(.patch, "\(Self.path)/\(id)", .object(["channel": "email"]), token: token)
            #expect(unknown.status == .badRequest, "\(unknown.text)")

            let disabled = try await client.json(.patch, "\(Self.path)/\(id)", .object(["disabled": true]), token: token)
            #expect(disabled.json["disabled"] == true)
            #expect(try await client.json(.get, "\(Self.path)?disabled=false", token: token).json["providers"] == .array([]))
            #expect(try await client.json(.get, "\(Self.path)?disabled=true", token: token).json["providers"]?.arrayValue?.count == 1)

            #expect(try await client.json(.delete, "\(Self.path)/\(id)", token: token).status == .noContent)
            #expect(try await client.json(.get, "\(Self.path)/\(id)", token: token).status == .notFound)
            #expect(try await client.json(.delete, "\(Self.path)/\(id)", token: token).status == .notFound)
            #expect(try await client.json(.get, Self.path, token: token).json == .object(["providers": .array([])]))
        }
    }

    @Test("each operation needs its phone_providers scope")
    func scopes() async throws {
        try await TestServer.run { client in
            let reader = try await client.managementToken(scope: "read:phone_providers")
            #expect(try await client.json(.get, Self.path, token: reader).status == .ok)
            let body: JSONValue = .object(["name": "custom", "configuration": .object(["delivery_methods": .array(["text"])])])
            let refused = try await client.json(.post, Self.path, body, token: reader)
            #expect(refused.status == .forbidden && refused.json["statusCode"] == 403, "\(refused.text)")
            #expect(refused.json["message"]?.stringValue?.contains("create:phone_providers") == true, "\(refused.text)")
            let creator = try await client.managementToken(scope: "create:phone_providers")
            let created = try await client.json(.post, Self.path, body, token: creator)
            #expect(created.status == .created)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(try await client.json(.get, "\(Self.path)/\(id)", token: creator).status == .forbidden)
            #expect(try await client.json(.patch, "\(Self.path)/\(id)", .object(["disabled": true]), token: creator).status == .forbidden)
            #expect(try await client.json(.delete, "\(Self.path)/\(id)", token: creator).status == .forbidden)
            let deleter = try await client.managementToken(scope: "delete:phone_providers")
            #expect(try await client.json(.delete, "\(Self.path)/\(id)", token: deleter).status == .noContent)
        }
    }
}
