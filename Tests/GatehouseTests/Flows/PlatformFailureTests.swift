import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

/// When no Actions worker can run a bound flow the platform failed, not the login: the token
/// endpoint answers 503 `temporarily_unavailable` with `Retry-After`, the hosted page asks to try
/// again, and the tenant log says `platform_error` (`docs/SECURITY.md`).
@Suite("Actions: a platform failure is a 503 to try again, not a refusal") struct PlatformFailureTests {
    @Test("with actions bound and no worker to run them: 503 + Retry-After at /oauth/token, a try-again page in the browser")
    func noWorker() async throws {
        let directory = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = TestServer.configuration(database: "sqlite://\(directory.path)/gatehouse.sqlite")
        let (app, machine) = try await TestServer.run(configuration) { client in
            let (_, machine) = try await CredentialsExchangeTests.setUp(
                client, codes: ["exports.onExecuteCredentialsExchange = async () => {};"])
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            try await fixtures.bind(
                [Fixtures.BoundCode(name: "noop", code: "exports.onExecutePostLogin = async () => {};")], to: "post-login", version: "v3")
            return (app, machine)
        }
        // The same tenant on a server whose Node.js is gone: the sandbox cannot start.
        configuration.nodeBinary = directory.path + "/no-such-node"
        try await TestServer.run(configuration) { client in
            let login = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "Username-Password-Authentication",
                    "client_id": app.id, "client_secret": app.secret ?? "", "username": "jane@example.com",
                    "password": "correct-horse-battery", "scope": "openid",
                ])
            #expect(login.status == .serviceUnavailable, "\(login.text)")
            #expect(login.json["error"] == "temporarily_unavailable")
            #expect(login.headers[.retryAfter] == "5")

            let exchange = try await client.form("/oauth/token", machine)
            #expect(exchange.status == .serviceUnavailable, "\(exchange.text)")
            #expect(exchange.json["error"] == "temporarily_unavailable")

            let page = try await AuthorizationCodeFlowTests.login(client, app: app)
            #expect(page.status == .serviceUnavailable)
            #expect(page.text.contains("try again"))
            #expect(page.location == nil, "the browser stays on the hosted page; the application gets no error")

            // (A management token is a client_credentials exchange too: with credentials-exchange
            // bound, it fails the same way, so the log is read from the database.)
            await client.server.services.flows?.recorder.flush()
            let logs = try await client.server.services.storage.read { try await $0.observability.logs(PageRequest(page: 0, perPage: 50)) }
            let failures = logs.items.filter { $0.type == "actions_execution_failed" }
            #expect(failures.count >= 3)
            #expect(failures.allSatisfy { $0.details["error_class"] == "platform_error" }, "\(failures)")
        }
    }

    @Test("an action saved while the sandbox cannot start fails its build with the reason, instead of staying 'building'")
    func buildWithoutSandbox() async throws {
        var configuration = TestServer.configuration()
        configuration.nodeBinary = "/nonexistent/node"
        try await TestServer.run(configuration) { client in
            let token = try await client.managementToken()
            let created = try await ActionsAPITests.create(client, token)
            let id = try #require(created.json["id"]?.stringValue)
            let built = try await ActionsAPITests.built(client, token, id)
            #expect(built.json["status"] == "failed", "\(built.text)")
            let error = try #require(built.json["errors"]?.arrayValue?.first)
            #expect(error["id"] == "code_check_unavailable")
            #expect(error["msg"]?.stringValue?.contains("/nonexistent/node") == true, "\(error)")
        }
    }
}
