import Foundation
import GatehouseCore
import Testing

@Suite("credentials-exchange: Actions shape machine-to-machine tokens") struct CredentialsExchangeTests {
    /// An API, an M2M client with a grant, and `code` deployed and bound to credentials-exchange.
    static func setUp(_ client: TestClient, codes: [String]) async throws -> (token: String, fields: [String: String]) {
        let fixtures = try await Fixtures.make(client)
        try await fixtures.createAPI()
        let app = try await fixtures.createApp(name: "M2M", appType: "non_interactive", grantTypes: ["client_credentials"])
        _ = try await client.json(
            .patch, "/api/v2/clients/\(app.id)", .object(["client_metadata": .object(["tier": "gold"])]), token: fixtures.token)
        let grant: JSONValue = .object([
            "client_id": .string(app.id), "audience": "https://api.example/", "scope": .array(["read:things", "write:things"]),
        ])
        #expect(try await client.json(.post, "/api/v2/client-grants", grant, token: fixtures.token).status == .created)
        try await fixtures.bind(
            codes.enumerated().map { Fixtures.BoundCode(name: "m2m-\($0.offset)", code: $0.element) }, to: "credentials-exchange",
            version: "v2")
        return (
            fixtures.token,
            [
                "grant_type": "client_credentials", "client_id": app.id, "client_secret": app.secret ?? "",
                "audience": "https://api.example/", "scope": "read:things",
            ]
        )
    }

    @Test("bound actions add claims to the token; the exchange is logged with its execution")
    func claims() async throws {
        try await TestServer.run { client in
            let (token, fields) = try await Self.setUp(
                client,
                codes: [
                    "exports.onExecuteCredentialsExchange = async (event, api) => { console.log('secret?', JSON.stringify(event.request.body.client_secret), 'query' in event.request, event.request.language); api.accessToken.setCustomClaim('https://example.com/tier', event.client.metadata.tier); };",
                    "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/scopes', event.accessToken.scope); };",
                ])
            let reply = try await client.form("/oauth/token", fields, headers: [.acceptLanguage: "fr-CH, fr;q=0.9"])
            #expect(reply.status == .ok, "\(reply.text)")
            let claims = jwtClaims(try #require(reply.json["access_token"]?.stringValue))
            #expect(claims["https://example.com/tier"] == "gold")
            #expect(claims["https://example.com/scopes"] == .array(["read:things"]))
            #expect(claims["gty"] == "client-credentials")

            let logs = try await client.json(.get, "/api/v2/logs", token: token).json.arrayValue ?? []
            let exchange = try #require(logs.first { $0["type"] == "seccft" && $0["client_id"]?.stringValue == fields["client_id"] })
            let executionID = try #require(exchange["details"]?["actions"]?["executions"]?.arrayValue?.first?.stringValue)
            let execution = try await client.json(.get, "/api/v2/actions/executions/\(executionID)", token: token)
            #expect(execution.json["trigger_id"] == "credentials-exchange")
            let results = execution.json["results"]?.arrayValue ?? []
            #expect(results.compactMap { $0["action_name"]?.stringValue } == ["m2m-0", "m2m-1"])
            #expect(results.first?["response"]?["stats"]?["action_duration_ms"] != nil)
            // The request has no query (§2.3) and carries the first Accept-Language.
            #expect(results.first?["logs"] == "secret? undefined false fr-CH\n")
            #expect(!execution.text.contains(fields["client_secret"] ?? "-"))
        }
    }

    @Test("api.access.deny maps its code to an RFC 6749 error; later actions do not run")
    func deny() async throws {
        try await TestServer.run { client in
            let (token, fields) = try await Self.setUp(
                client,
                codes: [
                    "exports.onExecuteCredentialsExchange = async (event, api) => { api.access.deny('invalid_scope', 'read:things is not for you'); };",
                    "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://x/never', 1); };",
                ])
            let reply = try await client.form("/oauth/token", fields)
            #expect(reply.status == .badRequest)
            #expect(reply.json["error"] == "invalid_scope")
            #expect(reply.json["error_description"] == "read:things is not for you")
            let logs = try await client.json(.get, "/api/v2/logs", token: token).json.arrayValue ?? []
            #expect(logs.contains { $0["type"] == "feccft" && $0["description"] == "read:things is not for you" })
        }
    }

    @Test("a throwing action fails the exchange closed, with an actions_execution_failed log")
    func failure() async throws {
        try await TestServer.run { client in
            let (token, fields) = try await Self.setUp(
                client, codes: ["exports.onExecuteCredentialsExchange = async () => { throw new Error('upstream is down'); };"])
            let reply = try await client.form("/oauth/token", fields)
            #expect(reply.status == .forbidden)
            #expect(reply.json["error"] == "access_denied")
            #expect(reply.json["access_token"] == nil)
            let logs = try await client.json(.get, "/api/v2/logs", token: token).json.arrayValue ?? []
            let failed = try #require(logs.first { $0["type"] == "actions_execution_failed" })
            let executionID = try #require(failed["details"]?["execution_id"]?.stringValue)
            let execution = try await client.json(.get, "/api/v2/actions/executions/\(executionID)", token: token)
            #expect(execution.json["results"]?.arrayValue?.first?["error"]?["msg"] == "upstream is down")
            #expect(execution.json["results"]?.arrayValue?.first?["error"]?["id"] == "action_error")
        }
    }

    @Test("with nothing bound, tokens carry no action claims and no execution is linked")
    func nothingBound() async throws {
        try await TestServer.run { client in
            let token = try await client.managementToken()
            let logs = try await client.json(.get, "/api/v2/logs", token: token).json.arrayValue ?? []
            let exchange = try #require(logs.first { $0["type"] == "seccft" })
            #expect(exchange["details"]?["actions"] == nil)
            #expect(
                try await client.json(.get, "/api/v2/actions/executions/nope", token: token).json["message"]
                    == "That execution does not exist.")
        }
    }

    @Test("bound actions run on the Node binary their runtime maps to (GATEHOUSE_NODE_RUNTIMES)")
    func runtimeBinary() async throws {
        let (directory, binary) = try SandboxRuntimeTests.copyOfNode()
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = TestServer.configuration()
        configuration.nodeRuntimes = ["node22": binary]
        try await TestServer.run(configuration) { client in
            // Actions created without a runtime get the trigger's default, node22.
            let (_, fields) = try await Self.setUp(
                client,
                codes: [
                    "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/node', process.execPath); };"
                ])
            let reply = try await client.form("/oauth/token", fields)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(jwtClaims(try #require(reply.json["access_token"]?.stringValue))["https://example.com/node"] == .string(binary))
        }
    }

    @Test("with a GeoIP database configured, event.request.geoip locates the client's address")
    func geoip() async throws {
        let file = try MaxMindWriter.loopbackInParis()
        defer { try? FileManager.default.removeItem(at: file) }
        var configuration = TestServer.configuration()
        configuration.geoipDatabase = file.path
        try await TestServer.run(configuration) { client in
            let (_, fields) = try await Self.setUp(
                client,
                codes: [
                    "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/country', event.request.geoip?.countryCode ?? null); };"
                ])
            let reply = try await client.form("/oauth/token", fields)
            #expect(jwtClaims(try #require(reply.json["access_token"]?.stringValue))["https://example.com/country"] == "FR")
        }
    }
}
