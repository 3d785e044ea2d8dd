import Foundation
import GatehouseCore
import Testing

@Suite("Hooks management API") struct HooksAPITests {
    static let script = "module.exports = function (client, scope, audience, context, cb) {\n  cb(null, { scope: scope });\n};"

    @Test("create (201, Auth0's shape, enabled by default), get, patch, list with enabled/triggerId/fields/paging, delete (204)")
    func lifecycle() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let first = try await client.json(
                .post, "/api/v2/hooks",
                .object(["name": "m2m-claims", "script": .string(Self.script), "triggerId": "credentials-exchange"]), token: token)
            #expect(first.status == .created)
            let id = try #require(first.json["id"]?.stringValue)
            #expect(first.json["enabled"] == true)
            #expect(first.json["triggerId"] == "credentials-exchange")
            #expect(first.json["dependencies"] == .object([:]))
            #expect(first.json.objectValue.map { Set($0.keys) } == ["id", "name", "script", "triggerId", "enabled", "dependencies"])
            let second = try await client.json(
                .post, "/api/v2/hooks",
                .object([
                    "name": "welcome", "script": "module.exports = function (user, context, cb) { cb(); };",
                    "triggerId": "post-user-registration", "enabled": false,
                ]), token: token)
            #expect(second.status == .created)
            #expect(second.json["enabled"] == false)

            let patched = try await client.json(.patch, "/api/v2/hooks/\(id)", .object(["name": "m2m-claims-2"]), token: token)
            #expect(patched.status == .ok)
            #expect(patched.json["name"] == "m2m-claims-2")
            #expect(patched.json["script"]?.stringValue == Self.script)
            #expect(try await client.json(.get, "/api/v2/hooks/\(id)", token: token).json["name"] == "m2m-claims-2")

            let listed = try await client.json(.get, "/api/v2/hooks", token: token)
            #expect(listed.json.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["m2m-claims-2", "welcome"])
            let enabled = try await client.json(.get, "/api/v2/hooks?enabled=true&include_totals=true", token: token)
            #expect(enabled.json["hooks"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["m2m-claims-2"])
            #expect(enabled.json["total"] == 1)
            let byTrigger = try await client.json(.get, "/api/v2/hooks?triggerId=post-user-registration", token: token)
            #expect(byTrigger.json.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["welcome"])
            let paged = try await client.json(.get, "/api/v2/hooks?per_page=1&page=1", token: token)
            #expect(paged.json.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["welcome"])
            let fields = try await client.json(.get, "/api/v2/hooks?fields=id,triggerId", token: token)
            #expect(fields.json.arrayValue?.first?.objectValue.map { Set($0.keys) } == ["id", "triggerId"])
            let without = try await client.json(.get, "/api/v2/hooks/\(id)?fields=script&include_fields=false", token: token)
            #expect(without.json["script"] == nil && without.json["triggerId"] == "credentials-exchange")

            #expect(try await client.json(.delete, "/api/v2/hooks/\(id)", token: token).status == .noContent)
            #expect(try await client.json(.get, "/api/v2/hooks/\(id)", token: token).status == .notFound)
            #expect(try await client.json(.delete, "/api/v2/hooks/\(id)", token: token).status == .notFound)
        }
    }

    @Test("one enabled hook per extensibility point (409 naming the enabled one), names unique (409), Auth0's 400s")
    func validation() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let first = try await client.json(
                .post, "/api/v2/hooks", .object(["name": "one", "script": .string(Self.script), "triggerId": "credentials-exchange"]),
                token: token)
            let firstID = try #require(first.json["id"]?.stringValue)
            let second = try await client.json(
                .post, "/api/v2/hooks", .object(["name": "two", "script": .string(Self.script), "triggerId": "credentials-exchange"]),
                token: token)
            #expect(second.status == .conflict)
            #expect(second.json["message"]?.stringValue?.contains("Only one enabled hook per extensibility point") == true)
            #expect(second.json["message"]?.stringValue?.contains("'one'") == true)
            let disabled = try await client.json(
                .post, "/api/v2/hooks",
                .object(["name": "two", "script": .string(Self.script), "triggerId": "credentials-exchange", "enabled": false]),
                token: token)
            #expect(disabled.status == .created)
            let secondID = try #require(disabled.json["id"]?.stringValue)
            #expect(
                try await client.json(.patch, "/api/v2/hooks/\(secondID)", .object(["enabled": true]), token: token).status == .conflict)
            _ = try await client.json(.patch, "/api/v2/hooks/\(firstID)", .object(["enabled": false]), token: token)
            #expect(try await client.json(.patch, "/api/v2/hooks/\(secondID)", .object(["enabled": true]), token: token).status == .ok)
            let otherPoint = try await client.json(
                .post, "/api/v2/hooks", .object(["name": "three", "script": .string(Self.script), "triggerId": "pre-user-registration"]),
                token: token)
            #expect(otherPoint.status == .created)
            let sameName = try await client.json(
                .post, "/api/v2/hooks",
                .object(["name": "one", "script": .string(Self.script), "triggerId": "send-phone-message", "enabled": false]), token: token)
            #expect(sameName.status == .conflict)
            #expect(sameName.json["message"]?.stringValue?.contains("same name") == true)

            let cases: [JSONValue] = [
                .object(["name": "bad_name", "script": .string(Self.script), "triggerId": "credentials-exchange"]),
                .object(["name": "ok", "script": "", "triggerId": "credentials-exchange"]),
                .object(["name": "ok", "script": .string(Self.script), "triggerId": "post-login"]),
                .object(["name": "ok", "script": .string(Self.script)]),
                .object([
                    "name": "ok", "script": .string(Self.script), "triggerId": "send-phone-message",
                    "dependencies": .object(["x": "file:/etc"]),
                ]),
            ]
            for body in cases {
                let reply = try await client.json(.post, "/api/v2/hooks", body, token: token)
                #expect(reply.status == .badRequest, "\(body.jsonText()) → \(reply.text)")
            }
            let moved = try await client.json(
                .patch, "/api/v2/hooks/\(firstID)", .object(["triggerId": "pre-user-registration"]), token: token)
            #expect(moved.status == .badRequest)
        }
    }

    @Test(
        "secrets: names listed with _VALUE_NOT_SHOWN_, POST adds (409 when taken), PATCH updates (404 when missing), DELETE by names; sealed at rest"
    )
    func secrets() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let created = try await client.json(
                .post, "/api/v2/hooks", .object(["name": "s", "script": .string(Self.script), "triggerId": "credentials-exchange"]),
                token: token)
            let id = try #require(created.json["id"]?.stringValue)
            let path = "/api/v2/hooks/\(id)/secrets"
            #expect(try await client.json(.get, path, token: token).json == .object([:]))
            let added = try await client.json(.post, path, .object(["API_KEY": "value-one-1234", "OTHER": "value-two-5678"]), token: token)
            #expect(added.status == .created)
            #expect(
                try await client.json(.get, path, token: token).json
                    == .object(["API_KEY": "_VALUE_NOT_SHOWN_", "OTHER": "_VALUE_NOT_SHOWN_"]))
            #expect(try await client.json(.post, path, .object(["API_KEY": "again"]), token: token).status == .conflict)
            #expect(try await client.json(.patch, path, .object(["API_KEY": "value-three-9999"]), token: token).status == .ok)
            #expect(try await client.json(.patch, path, .object(["MISSING": "x"]), token: token).status == .notFound)
            let storedSecrets = try await client.server.services.storage.read { try await $0.hooks.secrets(id) }
            #expect(storedSecrets == ["API_KEY": "value-three-9999", "OTHER": "value-two-5678"])
            #expect(try await client.json(.delete, path, .array(["OTHER"]), token: token).status == .noContent)
            #expect(try await client.json(.get, path, token: token).json == .object(["API_KEY": "_VALUE_NOT_SHOWN_"]))
            #expect(try await client.json(.get, "/api/v2/hooks/hk_missing/secrets", token: token).status == .notFound)
        }
    }

    @Test("scopes: read:hooks cannot create, update or delete")
    func scopes() async throws {
        try await TestServer.run { client in
            let reader = try await client.managementToken(scope: "read:hooks")
            #expect(try await client.json(.get, "/api/v2/hooks", token: reader).status == .ok)
            let refused = try await client.json(
                .post, "/api/v2/hooks", .object(["name": "x", "script": .string(Self.script), "triggerId": "credentials-exchange"]),
                token: reader)
            #expect(refused.status == .forbidden)
        }
    }
}
