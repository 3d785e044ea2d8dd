import Foundation
import GatehouseCore
import Testing

@Suite("Rules management API") struct RulesAPITests {
    static let script = "function (user, context, callback) {\n  callback(null, user, context);\n}"

    @Test("create (201, rul_ id, order after the highest), get, patch, list by order, delete (204)")
    func lifecycle() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let first = try await client.json(
                .post, "/api/v2/rules", .object(["name": "add-roles", "script": .string(Self.script)]), token: token)
            #expect(first.status == .created)
            let id = try #require(first.json["id"]?.stringValue)
            #expect(id.hasPrefix("rul_"))
            #expect(first.json["order"] == 1)
            #expect(first.json["enabled"] == true)
            #expect(first.json["stage"] == "login_success")
            let second = try await client.json(
                .post, "/api/v2/rules", .object(["name": "deny-blocked", "script": .string(Self.script), "order": 7, "enabled": false]),
                token: token)
            #expect(second.json["order"] == 7)
            let third = try await client.json(
                .post, "/api/v2/rules", .object(["name": "third", "script": .string(Self.script)]), token: token)
            #expect(third.json["order"] == 8)

            let patched = try await client.json(.patch, "/api/v2/rules/\(id)", .object(["order": 10, "enabled": false]), token: token)
            #expect(patched.status == .ok)
            #expect(patched.json["order"] == 10)
            #expect(patched.json["name"] == "add-roles")
            #expect(try await client.json(.get, "/api/v2/rules/\(id)", token: token).json["enabled"] == false)

            let listed = try await client.json(.get, "/api/v2/rules", token: token)
            #expect(listed.json.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["deny-blocked", "third", "add-roles"])
            let enabled = try await client.json(.get, "/api/v2/rules?enabled=true&include_totals=true", token: token)
            #expect(enabled.json["rules"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["third"])
            #expect(enabled.json["total"] == 1)
            let paged = try await client.json(.get, "/api/v2/rules?per_page=2&page=1", token: token)
            #expect(paged.json.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ["add-roles"])
            let fields = try await client.json(.get, "/api/v2/rules?fields=id,name", token: token)
            #expect(fields.json.arrayValue?.first?.objectValue.map { Set($0.keys) } == ["id", "name"])
            let without = try await client.json(.get, "/api/v2/rules/\(id)?fields=script&include_fields=false", token: token)
            #expect(without.json["script"] == nil && without.json["name"] == "add-roles")

            #expect(try await client.json(.delete, "/api/v2/rules/\(id)", token: token).status == .noContent)
            let gone = try await client.json(.get, "/api/v2/rules/\(id)", token: token)
            #expect(gone.status == .notFound)
            #expect(try await client.json(.delete, "/api/v2/rules/\(id)", token: token).status == .notFound)
        }
    }

    @Test("a taken order or name is 409; invalid names, empty scripts, negative orders and other stages are 400")
    func validation() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            _ = try await client.json(
                .post, "/api/v2/rules", .object(["name": "one", "script": .string(Self.script), "order": 1]), token: token)
            let other = try await client.json(
                .post, "/api/v2/rules", .object(["name": "two", "script": .string(Self.script), "order": 2]), token: token)
            let sameOrder = try await client.json(
                .post, "/api/v2/rules", .object(["name": "three", "script": .string(Self.script), "order": 1]), token: token)
            #expect(sameOrder.status == .conflict)
            #expect(sameOrder.json["message"]?.stringValue?.contains("same name or order") == true)
            let sameName = try await client.json(
                .post, "/api/v2/rules", .object(["name": "one", "script": .string(Self.script)]), token: token)
            #expect(sameName.status == .conflict)
            let id = try #require(other.json["id"]?.stringValue)
            #expect(try await client.json(.patch, "/api/v2/rules/\(id)", .object(["order": 1]), token: token).status == .conflict)
            let cases: [JSONValue] = [
                .object(["name": "-bad", "script": .string(Self.script)]),
                .object(["name": "bad_name", "script": .string(Self.script)]),
                .object(["name": "ok", "script": ""]),
                .object(["name": "ok", "script": .string(Self.script), "order": -1]),
                .object(["name": "ok", "script": .string(Self.script), "stage": "login_failure"]),
                .object(["script": .string(Self.script)]),
            ]
            for body in cases {
                let reply = try await client.json(.post, "/api/v2/rules", body, token: token)
                #expect(reply.status == .badRequest, "\(body.jsonText()) → \(reply.text)")
            }
        }
    }

    @Test("rules-configs: keys listed, values never shown; PUT sets, DELETE removes (404 when missing); scopes are Auth0's")
    func configs() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let put = try await client.json(.put, "/api/v2/rules-configs/API_KEY", .object(["value": "s3cr3t-value"]), token: token)
            #expect(put.status == .ok)
            #expect(put.json["key"] == "API_KEY")
            _ = try await client.json(.put, "/api/v2/rules-configs/API_KEY", .object(["value": "s3cr3t-value-2"]), token: token)
            _ = try await client.json(.put, "/api/v2/rules-configs/domain", .object(["value": "example.com"]), token: token)
            let listed = try await client.json(.get, "/api/v2/rules-configs", token: token)
            #expect(listed.json == .array([.object(["key": "API_KEY"]), .object(["key": "domain"])]))
            #expect(!listed.text.contains("s3cr3t"))
            let badKey = try await client.json(.put, "/api/v2/rules-configs/bad%20key", .object(["value": "x"]), token: token)
            #expect(badKey.status == .badRequest)
            #expect(try await client.json(.delete, "/api/v2/rules-configs/domain", token: token).status == .noContent)
            #expect(try await client.json(.delete, "/api/v2/rules-configs/domain", token: token).status == .notFound)

            let readOnly = try await client.managementToken(scope: "read:rules read:rules_configs")
            #expect(try await client.json(.get, "/api/v2/rules", token: readOnly).status == .ok)
            #expect(try await client.json(.get, "/api/v2/rules-configs", token: readOnly).status == .ok)
            let refused = try await client.json(
                .put, "/api/v2/rules-configs/API_KEY", .object(["value": "x"]), token: readOnly)
            #expect(refused.status == .forbidden)
            let refusedRule = try await client.json(
                .post, "/api/v2/rules", .object(["name": "x", "script": .string(Self.script)]), token: readOnly)
            #expect(refusedRule.status == .forbidden)
        }
    }
}
