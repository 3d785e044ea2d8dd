import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Logging
import Testing

/// One contract, two engines: every test runs on SQLite and, when `GATEHOUSE_TEST_POSTGRES_URL`
/// names a server (as `scripts/test` arranges), on PostgreSQL in a database of its own.
@Suite("Storage contract") struct StorageContractTests {
    static var engines: [String] {
        ["sqlite"] + (ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] == nil ? [] : ["postgres"])
    }

    static func withStorage(_ engine: String, _ body: @Sendable (Storage) async throws -> Void) async throws {
        var logger = Logger(label: "storage-test")
        logger.logLevel = .warning
        var url = "sqlite::memory:"
        if engine == "postgres", let base = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] {
            let name = "gh_test_" + RandomIdentifier.hex(byteCount: 6)
            let admin = try GatehouseDatabase(url: base, logger: logger)
            try await admin.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            await admin.shutdown()
            url = String(base[..<(base.lastIndex(of: "/") ?? base.endIndex)]) + "/" + name
        }
        let database = try GatehouseDatabase(url: url, logger: logger)
        do {
            try await database.migrate(logger: logger)
            try await database.migrate(logger: logger)  // migrating twice is a no-op
            try await body(Storage(database: database, masterKey: try MasterKey(base64: MasterKey.generateBase64())))
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }

    static func user(_ email: String, connection: String = "db") -> UserRecord {
        UserRecord(
            user_id: "auth0|" + RandomIdentifier.hex(byteCount: 12), connection: connection, email: email,
            created_at: "2024-01-01T00:00:00.000Z", updated_at: "2024-01-01T00:00:00.000Z")
    }

    @Test("users are unique per connection by email, found case-insensitively", arguments: engines)
    func usersUnique(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let jane = Self.user("Jane@Example.com")
            try await storage.read { try await $0.users.insert(jane, passwordHash: "hash") }
            await #expect(throws: StorageError.conflict("a user with this email or username")) {
                try await storage.read { try await $0.users.insert(Self.user("jane@example.com"), passwordHash: nil) }
            }
            try await storage.read { try await $0.users.insert(Self.user("jane@example.com", connection: "other"), passwordHash: nil) }
            let found = try await storage.read { try await $0.users.find(connection: "db", login: "JANE@EXAMPLE.COM") }
            #expect(found?.user_id == jane.user_id)
            #expect(try await storage.read { try await $0.users.passwordHash(jane.user_id) } == "hash")
            #expect(try await storage.read { try await $0.users.find(email: "jane@example.com") }.count == 2)
        }
    }

    @Test("a failed transaction leaves nothing behind", arguments: engines)
    func rollback(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let user = Self.user("a@example.com")
            await #expect(throws: StorageError.self) {
                try await storage.transaction { repositories in
                    try await repositories.users.insert(user, passwordHash: nil)
                    try await repositories.users.insert(user, passwordHash: nil)
                }
            }
            let after = try await storage.read { try await $0.users.get(user.user_id) }
            #expect(after == nil)
        }
    }

    @Test("an authorization code is consumed once, and never after it expires", arguments: engines)
    func codesSingleUse(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let now = Timestamp.nowMillis()
            @Sendable func code(expiresAt: EpochMillis) -> AuthorizationCodeRecord {
                AuthorizationCodeRecord(
                    client_id: "c", user_id: "u", redirect_uri: "https://x/cb", scope: "openid", audience: nil, nonce: nil,
                    code_challenge: nil, code_challenge_method: nil, session_id: "s", auth_time: 0, expires_at: expiresAt)
            }
            try await storage.read { try await $0.authorizationCodes.insert(codeHash: "live", code(expiresAt: now + 60_000)) }
            try await storage.read { try await $0.authorizationCodes.insert(codeHash: "stale", code(expiresAt: now - 1)) }
            #expect(try await storage.read { try await $0.authorizationCodes.consume(codeHash: "live", now: now) } != nil)
            #expect(try await storage.read { try await $0.authorizationCodes.consume(codeHash: "live", now: now) } == nil)
            #expect(try await storage.read { try await $0.authorizationCodes.consume(codeHash: "stale", now: now) } == nil)
        }
    }

    @Test("a refresh token rotates once; revoking the family revokes every member", arguments: engines)
    func refreshFamilies(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            @Sendable func token(_ id: String) -> RefreshTokenRecord {
                RefreshTokenRecord(
                    id: id, family_id: "fam", client_id: "c", user_id: "u", scope: "openid offline_access", audience: nil,
                    session_id: nil, auth_time: 0, created_at: 0, expires_at: nil)
            }
            try await storage.read { try await $0.refreshTokens.insert(tokenHash: "h1", token("t1")) }
            try await storage.read { try await $0.refreshTokens.insert(tokenHash: "h2", token("t2")) }
            #expect(try await storage.read { try await $0.refreshTokens.markRotated(id: "t1", at: 5) })
            #expect(try await storage.read { try await $0.refreshTokens.markRotated(id: "t1", at: 6) } == false)
            try await storage.read { try await $0.refreshTokens.revokeFamily("fam", at: 7) }
            #expect(try await storage.read { try await $0.refreshTokens.find(tokenHash: "h2") }?.revoked_at == 7)
        }
    }

    @Test("client secrets and signing keys are sealed at rest", arguments: engines)
    func sealedAtRest(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let client = ClientRecord(client_id: "cid", client_secret: "super-secret-value", name: "App")
            try await storage.read { try await $0.clients.insert(client) }
            #expect(try await storage.read { try await $0.clients.get("cid") }?.client_secret == "super-secret-value")
            let raw = try await storage.database.read { db in
                try await db.select().columns("sealed_secret", "document").from("clients").first()
                    .map {
                        "\(try $0.decode(column: "sealed_secret", as: String.self)) \(try $0.decode(column: "document", as: String.self))"
                    }
            }
            #expect(raw?.contains("super-secret-value") == false)
            #expect(raw?.hasPrefix("v1:") == true)
        }
    }

    @Test("roles, permissions and assignments", arguments: engines)
    func rolesAndPermissions(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            try await storage.transaction { repositories in
                try await repositories.roles.insert(RoleRecord(id: "r1", name: "admin"))
                try await repositories.roles.insert(RoleRecord(id: "r2", name: "reader"))
                let read = PermissionRecord(resource_server_identifier: "api", permission_name: "read")
                try await repositories.roles.addPermissions([read], roleID: "r1")
                try await repositories.roles.addPermissions(
                    [read, .init(resource_server_identifier: "api", permission_name: "write")], roleID: "r2")
                try await repositories.roles.assign(roleIDs: ["r1", "r2"], toUser: "u1")
            }
            let roles = try await storage.read { try await $0.roles.roles(ofUser: "u1") }
            #expect(roles.map(\.name) == ["admin", "reader"])
            let permissions = try await storage.read { try await $0.roles.permissions(roleIDs: ["r1", "r2"]) }
            #expect(permissions.map(\.permission_name) == ["read", "write"])
            let page = try await storage.read { try await $0.roles.list(PageRequest(page: 0, perPage: 1), nameFilter: nil) }
            #expect(page.total == 2 && page.items.count == 1)
        }
    }
}

@Suite("Configuration cache") struct ConfigurationCacheTests {
    @Test("a write through one instance's storage reaches another instance's cache", arguments: StorageContractTests.engines)
    func crossInstanceInvalidation(engine: String) async throws {
        try await StorageContractTests.withStorage(engine) { storage in
            let first = ConfigurationCache(storage: storage)
            let second = ConfigurationCache(storage: storage)
            try await storage.read { try await $0.clients.insert(ClientRecord(client_id: "c1", client_secret: "one", name: "App")) }
            #expect(try await first.snapshot().client("c1")?.client_secret == "one")
            #expect(try await second.snapshot().client("c1")?.client_secret == "one")
            try await storage.read { try await $0.clients.update(ClientRecord(client_id: "c1", client_secret: "two", name: "App")) }
            #expect(try await first.snapshot().client("c1")?.client_secret == "two")
            #expect(try await second.snapshot().client("c1")?.client_secret == "two")
            #expect(try await first.snapshot().api(identifier: "https://nowhere/") == nil)
        }
    }
}

@Suite("Execution records") struct ExecutionRetentionTests {
    @Test("records older than the retention period are purged when the recorder writes", arguments: StorageContractTests.engines)
    func retention(engine: String) async throws {
        try await StorageContractTests.withStorage(engine) { storage in
            @Sendable func execution(_ id: String) -> ExecutionRecord {
                ExecutionRecord(id: id, trigger_id: "post-login", status: "final", results: [], created_at: "", updated_at: "")
            }
            let old = Timestamp.nowMillis() - 11 * 86_400_000
            try await storage.read { try await $0.observability.insert(executions: [execution("old")], logs: [], at: old) }
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let recorder = ExecutionRecorder(storage: storage, logger: logger, retentionDays: 10)
            await recorder.record(execution: execution("new"))
            await recorder.flush()
            #expect(try await storage.read { try await $0.observability.execution("old") } == nil)
            #expect(try await storage.read { try await $0.observability.execution("new") }?.trigger_id == "post-login")
        }
    }

    /// A Management API read flushes the recorder first; while the timer's flush is still writing
    /// a batch, that read must wait for it, not find the buffer empty and read too early (seen in
    /// CI on PostgreSQL: a token's log missing from the `GET /logs` right after it). On PostgreSQL
    /// another connection holds the log table locked, so the first flush's write is stuck while
    /// the other flushes run.
    @Test("every flush returns only after the records handed over before it are readable", arguments: StorageContractTests.engines)
    func flushWaitsForWritesUnderWay(engine: String) async throws {
        try await StorageContractTests.withStorage(engine) { storage in
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let recorder = ExecutionRecorder(storage: storage, logger: logger)
            await recorder.record(
                logs: (0..<50).map { LogRecord(log_id: "log-\($0)", date: Timestamp.iso8601(0), type: "seccft", description: "") })
            try await withThrowingTaskGroup(of: Void.self) { group in
                if engine == "postgres" {
                    group.addTask {
                        try await storage.database.transaction { db in
                            try await db.raw("LOCK TABLE tenant_logs IN EXCLUSIVE MODE").run()
                            try await Task.sleep(for: .milliseconds(300))
                        }
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                for _ in 0..<3 {
                    group.addTask {
                        await recorder.flush()
                        let page = try await storage.read { try await $0.observability.logs(PageRequest(page: 0, perPage: 1)) }
                        #expect(page.total == 50)
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("executions and log events read back exactly as written, many at once", arguments: StorageContractTests.engines)
    func roundTrip(engine: String) async throws {
        try await StorageContractTests.withStorage(engine) { storage in
            let executions = (0..<150).map { index in
                ExecutionRecord(
                    id: "exec-\(index)", trigger_id: "post-login", status: "final",
                    results: [
                        ExecutionResult(
                            action_name: "a \"quoted\" name", binding_id: index % 2 == 0 ? "b1" : nil, version_id: "v1",
                            started_at: Timestamp.iso8601(0), ended_at: Timestamp.iso8601(5),
                            error: index % 3 == 0 ? nil : .object(["id": "action_error"]),
                            response: .object(["stats": .object(["action_duration_ms": .number(1.5)])]), logs: "line\n\u{1F600}\n")
                    ], created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z")
            }
            let logs = (0..<120).map { index in
                LogRecord(
                    log_id: "log-\(index)", date: Timestamp.iso8601(Int64(index)), type: "seccft", description: "Success / é",
                    client_id: "c1", user_id: index % 2 == 0 ? nil : "auth0|1",
                    details: .object(["actions": .object(["executions": .array([.string("exec-\(index)")])])]))
            }
            try await storage.read { try await $0.observability.insert(executions: executions, logs: logs, at: Timestamp.nowMillis()) }
            for execution in executions {
                #expect(try await storage.read { try await $0.observability.execution(execution.id) } == execution)
            }
            var stored: [LogRecord] = []
            for page in 0..<2 {
                stored += try await storage.read { try await $0.observability.logs(PageRequest(page: page, perPage: 100)) }.items
            }
            #expect(Set(stored.map(\.log_id)) == Set(logs.map(\.log_id)))
            #expect(stored.first { $0.log_id == "log-7" } == logs[7])
        }
    }

    @Test("the actions cache keeps entries per trigger until they expire", arguments: StorageContractTests.engines)
    func actionCache(engine: String) async throws {
        try await StorageContractTests.withStorage(engine) { storage in
            let now = Timestamp.nowMillis()
            try await storage.read { repositories in
                try await repositories.actionCache.apply(
                    trigger: "post-login",
                    set: [
                        ActionCacheEntry(key: "a", value: "1", expires_at: now + 60_000),
                        ActionCacheEntry(key: "b", value: "2", expires_at: now + 10),
                    ], deleted: [], now: now)
                try await repositories.actionCache.apply(
                    trigger: "credentials-exchange", set: [ActionCacheEntry(key: "a", value: "m2m", expires_at: now + 60_000)], deleted: [],
                    now: now)
            }
            #expect(try await storage.read { try await $0.actionCache.entries(trigger: "post-login", now: now) }.map(\.key) == ["a", "b"])
            #expect(try await storage.read { try await $0.actionCache.entries(trigger: "post-login", now: now + 20) }.map(\.value) == ["1"])
            try await storage.read { repositories in
                try await repositories.actionCache.apply(
                    trigger: "post-login", set: [ActionCacheEntry(key: "a", value: "updated", expires_at: now + 60_000)], deleted: [],
                    now: now)
            }
            #expect(try await storage.read { try await $0.actionCache.entries(trigger: "post-login", now: now) }.first?.value == "updated")
            try await storage.read { try await $0.actionCache.apply(trigger: "post-login", set: [], deleted: ["a"], now: now) }
            #expect(try await storage.read { try await $0.actionCache.entries(trigger: "post-login", now: now + 20) }.isEmpty)
            #expect(
                try await storage.read { try await $0.actionCache.entries(trigger: "credentials-exchange", now: now) }.first?.value == "m2m"
            )
        }
    }
}
