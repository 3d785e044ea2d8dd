import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

@testable import GatehouseActions
@testable import GatehouseSandbox

#if canImport(Glibc)
    import Glibc
#endif

/// What a person and the tenant log see when an Actions worker is lost during a login, through
/// the running server (`docs/SECURITY.md`, "One action cannot harm the others"): a worker killed
/// from outside is the platform's failure; an action that keeps ending its worker is quarantined.
@Suite("Actions: a worker lost during a login, through the server") struct WorkerLossTests {
    static func passwordLogin(_ app: Fixtures.App) -> [String: String] {
        [
            "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "Username-Password-Authentication",
            "client_id": app.id, "client_secret": app.secret ?? "", "username": "jane@example.com",
            "password": "correct-horse-battery", "scope": "openid",
        ]
    }

    static func failedExecutions(_ client: TestClient) async throws -> [LogRecord] {
        await client.server.services.flows?.recorder.flush()
        let logs = try await client.server.services.storage.read { try await $0.observability.logs(PageRequest(page: 0, perPage: 50)) }
        return logs.items.filter { $0.type == "actions_execution_failed" }
    }

    @Test("a worker killed from outside during a login: 503 temporarily_unavailable with Retry-After, platform_error in the log")
    func killedFromOutside() async throws {
        try await TestServer.run(TestServer.configuration()) { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let waiting = "exports.onExecutePostLogin = async () => { await new Promise((resolve) => setTimeout(resolve, 15000)); };"
            try await fixtures.bind([Fixtures.BoundCode(name: "slow", code: waiting)], to: "post-login", version: "v3")
            let pool = try #require(client.server.services.flows?.sandbox)
            try await pool.start()
            let workers = pool.idleWorkerProcessIDs
            #expect(workers.count == 1)

            let login = Task { try await client.form("/oauth/token", Self.passwordLogin(app)) }
            // The action waits 15 s: 2 s in, the login's flow is on the worker.
            try await Task.sleep(for: .seconds(2))
            for pid in workers { #expect(kill(pid, SIGKILL) == 0) }
            let answer = try await login.value
            #expect(answer.status == .serviceUnavailable, "\(answer.text)")
            #expect(answer.json["error"] == "temporarily_unavailable")
            #expect(answer.headers[.retryAfter] == "5")

            let failures = try await Self.failedExecutions(client)
            #expect(failures.count == 1, "\(failures)")
            #expect(failures.first?.details["error_class"] == "platform_error")
            let message = failures.first?.details["action_error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("stopped from outside"), "\(failures)")
        }
    }

    @Test("an action that keeps ending its worker: its logins are refused at once, and each refusal is an actions_execution_failed event")
    func quarantineIsLogged() async throws {
        try await TestServer.run(TestServer.configuration()) { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let eater = """
                exports.onExecutePostLogin = async () => {
                  const kept = [];
                  for (;;) kept.push(new Array(100000).fill({ n: kept.length }));
                };
                """
            try await fixtures.bind([Fixtures.BoundCode(name: "eater", code: eater)], to: "post-login", version: "v3")
            for _ in 1...Quarantine.crashLimit {
                let answer = try await client.form("/oauth/token", Self.passwordLogin(app))
                #expect(answer.status != .ok, "\(answer.text)")
            }
            let started = ContinuousClock.now
            let refused = try await client.form("/oauth/token", Self.passwordLogin(app))
            #expect(ContinuousClock.now - started < .seconds(1), "refused without a worker")
            #expect(refused.status != .ok)
            #expect(refused.status != .serviceUnavailable, "the action failed, not the platform: \(refused.text)")

            let failures = try await Self.failedExecutions(client)
            #expect(failures.count == Quarantine.crashLimit + 1, "\(failures)")
            #expect(failures.allSatisfy { $0.details["error_class"] == "action_error" })
            let quarantined = failures.filter { $0.details["action_error"]?["name"] == "QuarantinedError" }
            #expect(quarantined.count == 1, "\(failures)")
            #expect(quarantined.first?.details["action_error"]?["message"]?.stringValue?.contains("'eater' is quarantined") == true)
        }
    }
}
