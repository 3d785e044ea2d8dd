import Foundation
import GatehouseCore
import Testing

@Suite("Actions management API") struct ActionsAPITests {
    static let code = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/v', 1); };"

    static func create(_ client: TestClient, _ token: String, name: String = "add-claim", code: String = code) async throws
        -> TestClient.Reply
    {
        try await client.json(
            .post, "/api/v2/actions/actions",
            .object([
                "name": .string(name), "code": .string(code),
                "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]),
                "secrets": .array([.object(["name": "API_KEY", "value": "s3cr3t-value"])]),
            ]), token: token)
    }

    /// Polls until the draft's build finished (bounded).
    static func built(_ client: TestClient, _ token: String, _ id: String) async throws -> TestClient.Reply {
        for _ in 0..<200 {
            let reply = try await client.json(.get, "/api/v2/actions/actions/\(id)", token: token)
            if let status = reply.json["status"]?.stringValue, status == "built" || status == "failed" { return reply }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("build of \(id) did not finish")
    }

    @Test("create, build, deploy, update, deploy again, roll back; secrets are never returned")
    func lifecycle() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let created = try await Self.create(client, token)
            #expect(created.status == .created)
            #expect(created.json["status"] == "pending")
            #expect(created.json["secrets"]?.arrayValue?.first?["value"] == nil)
            #expect(created.json["secrets"]?.arrayValue?.first?["name"] == "API_KEY")
            #expect(!created.text.contains("s3cr3t-value"))
            let id = try #require(created.json["id"]?.stringValue)
            #expect(try await Self.built(client, token, id).json["status"] == "built")
            let first = try await client.json(.post, "/api/v2/actions/actions/\(id)/deploy", token: token)
            #expect(first.json["number"] == 1)
            #expect(first.json["deployed"] == true)
            #expect(try await client.json(.get, "/api/v2/actions/actions/\(id)", token: token).json["all_changes_deployed"] == true)

            let newCode = Self.code.replacingOccurrences(of: "1);", with: "2);")
            let patched = try await client.json(.patch, "/api/v2/actions/actions/\(id)", .object(["code": .string(newCode)]), token: token)
            #expect(patched.json["all_changes_deployed"] == false)
            #expect(try await Self.built(client, token, id).json["status"] == "built")
            let second = try await client.json(.post, "/api/v2/actions/actions/\(id)/deploy", token: token)
            #expect(second.json["number"] == 2)

            let firstID = try #require(first.json["id"]?.stringValue)
            let rollback = try await client.json(
                .post, "/api/v2/actions/actions/\(id)/versions/\(firstID)/deploy", .object(["update_draft": true]), token: token)
            #expect(rollback.json["number"] == 3)
            #expect(rollback.json["code"]?.stringValue == Self.code)
            // Who deployed each version: here the bootstrap application, by name.
            #expect(rollback.json["deployed_by"] == "Gatehouse Bootstrap (Management API)", "\(rollback.text)")
            #expect(second.json["deployed_by"] == rollback.json["deployed_by"])
            let versions = try await client.json(.get, "/api/v2/actions/actions/\(id)/versions", token: token)
            #expect(versions.json["total"] == 3)
            #expect(versions.json["versions"]?.arrayValue?.filter { $0["deployed"] == true }.count == 1)
            let action = try await client.json(.get, "/api/v2/actions/actions/\(id)", token: token)
            #expect(action.json["code"]?.stringValue == Self.code)
            #expect(action.json["deployed_version"]?["number"] == 3)
            #expect(!action.text.contains("s3cr3t-value"))
        }
    }

    @Test(
        "a draft that does not compile or lacks its handler fails to build with the reason; it cannot be deployed",
        arguments: [
            ("exports.onExecutePostLogin = async (event, api) => {", "Compilation failed"),
            ("exports.somethingElse = async () => {};", "does not export onExecutePostLogin"),
            ("const x = require('not-installed'); exports.onExecutePostLogin = async () => {};", "Cannot find module"),
        ])
    func failedBuild(code: String, reason: String) async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let id = try #require(try await Self.create(client, token, code: code).json["id"]?.stringValue)
            let built = try await Self.built(client, token, id)
            #expect(built.json["status"] == "failed")
            #expect(built.json["errors"]?.arrayValue?.first?["msg"]?.stringValue?.contains(reason) == true, "\(built.text)")
            let deploy = try await client.json(.post, "/api/v2/actions/actions/\(id)/deploy", token: token)
            #expect(deploy.status == .badRequest)
            #expect(deploy.json["message"] == "A draft must be in the 'built' state before it can be deployed.")
        }
    }

    @Test("bindings: only deployed actions of the trigger, in order; deleting a bound action is 409 unless forced")
    func bindings() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let first = try #require(try await Self.create(client, token, name: "first").json["id"]?.stringValue)
            let second = try #require(try await Self.create(client, token, name: "second").json["id"]?.stringValue)
            func bind(_ names: [String]) async throws -> TestClient.Reply {
                try await client.json(
                    .patch, "/api/v2/actions/triggers/post-login/bindings",
                    .object(["bindings": .array(names.map { .object(["ref": .object(["type": "action_name", "value": .string($0)])]) })]),
                    token: token)
            }
            _ = try await Self.built(client, token, first)
            let early = try await bind(["first"])
            #expect(early.status == .badRequest)
            #expect(early.json["message"]?.stringValue?.contains("has not been deployed") == true)
            for id in [first, second] {
                _ = try await Self.built(client, token, id)
                #expect(try await client.json(.post, "/api/v2/actions/actions/\(id)/deploy", token: token).status == .ok)
            }
            let bound = try await bind(["second", "first"])
            #expect(bound.status == .ok)
            let listed = try await client.json(.get, "/api/v2/actions/triggers/post-login/bindings", token: token)
            #expect(listed.json["bindings"]?.arrayValue?.compactMap { $0["action"]?["name"]?.stringValue } == ["second", "first"])
            let wrongTrigger = try await client.json(
                .patch, "/api/v2/actions/triggers/credentials-exchange/bindings",
                .object(["bindings": .array([.object(["ref": .object(["type": "action_id", "value": .string(first)])])])]), token: token)
            #expect(wrongTrigger.status == .badRequest)
            #expect(try await bind(Array(repeating: "first", count: 21)).status == .badRequest)
            let refused = try await client.json(.delete, "/api/v2/actions/actions/\(first)", token: token)
            #expect(refused.status == .conflict)
            #expect(refused.json["message"] == "Unable to delete an action bound to a trigger.")
            #expect(try await client.json(.delete, "/api/v2/actions/actions/\(first)?force=true", token: token).status == .noContent)
            let after = try await client.json(.get, "/api/v2/actions/triggers/post-login/bindings", token: token)
            #expect(after.json["bindings"]?.arrayValue?.compactMap { $0["action"]?["name"]?.stringValue } == ["second"])
        }
    }

    @Test("past 50 versions, the oldest undeployed versions make room")
    func versionLimit() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let id = try #require(try await Self.create(client, token).json["id"]?.stringValue)
            _ = try await Self.built(client, token, id)
            for _ in 0..<52 {
                #expect(try await client.json(.post, "/api/v2/actions/actions/\(id)/deploy", token: token).status == .ok)
            }
            let versions = try await client.json(.get, "/api/v2/actions/actions/\(id)/versions?per_page=100", token: token)
            #expect(versions.json["total"] == 50)
            let numbers = versions.json["versions"]?.arrayValue?.compactMap { $0["number"] } ?? []
            #expect(numbers.first == 52)
            #expect(numbers.last == 3)
        }
    }

    @Test("the test endpoint runs the draft with its secrets and changes nothing")
    func testEndpoint() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let code =
                "exports.onExecutePostLogin = async (event, api) => { console.log('key', event.secrets.API_KEY); api.idToken.setCustomClaim('https://x/email', event.user.email); };"
            let id = try #require(try await Self.create(client, token, code: code).json["id"]?.stringValue)
            _ = try await Self.built(client, token, id)
            let reply = try await client.json(
                .post, "/api/v2/actions/actions/\(id)/test", .object(["payload": .object(["user": .object(["email": "t@example.com"])])]),
                token: token)
            #expect(reply.status == .ok, "\(reply.text)")
            let payload = try #require(reply.json["payload"])
            #expect(payload["status"] == "completed")
            #expect(payload["actions"]?.arrayValue?.first?["logs"] == "key s3cr3t-value\n")
            #expect(
                payload["actions"]?.arrayValue?.first?["commands"]?.arrayValue?.first?["args"]
                    == .array(["https://x/email", "t@example.com"]))
            #expect(payload["stats"]?["total_request_duration_ms"] != nil)
            #expect(try await client.json(.get, "/api/v2/actions/actions/\(id)/versions", token: token).json["total"] == 0)
        }
    }

    @Test("triggers come from the catalog; invalid drafts are precise 400s")
    func triggersAndValidation() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let triggers = try await client.json(.get, "/api/v2/actions/triggers", token: token).json["triggers"]?.arrayValue ?? []
            let postLogin = try #require(triggers.first { $0["id"] == "post-login" })
            #expect(postLogin["version"] == "v3")
            #expect(postLogin["binding_policy"] == "trigger-bound")
            #expect(postLogin["default_runtime"] == "node22")
            let invalid: [JSONValue] = [
                .object(["supported_triggers": .array([.object(["id": "post-login", "version": "v3"])])]),
                .object(["name": "x", "supported_triggers": .array([.object(["id": "no-such-trigger", "version": "v1"])])]),
                .object(["name": "x", "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]), "runtime": "node8"]),
                .object([
                    "name": "x", "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]),
                    "code": .string(String(repeating: "a", count: 100 * 1024 + 1)),
                ]),
            ]
            for body in invalid {
                let reply = try await client.json(.post, "/api/v2/actions/actions", body, token: token)
                #expect(reply.status == .badRequest, "\(reply.text.prefix(200))")
            }
            #expect(try await client.json(.get, "/api/v2/actions/actions/nope", token: token).status == .notFound)
        }
    }
}
