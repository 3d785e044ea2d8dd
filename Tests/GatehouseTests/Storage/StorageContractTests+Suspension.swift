import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Logging
import Testing

@Suite("Suspended logins") struct LoginSuspensionTests {
    static func suspension(expiresAt: EpochMillis) -> LoginSuspensionRecord {
        LoginSuspensionRecord(
            user_id: "auth0|1", client_id: "c1", browser_hash: "b", reason: "redirect", created_at: 0, expires_at: expiresAt,
            login: .object(["attempt": .object(["userID": "auth0|1"])]))
    }

    @Test(
        "a suspension is found, updated while live, consumed once (even by concurrent resumes), released, expires, and is purged",
        arguments: StorageContractTests.engines
    )
    func consumeOnce(engine: String) async throws {
        try await StorageContractTests.withStorage(engine) { storage in
            let now = Timestamp.nowMillis()
            let record = Self.suspension(expiresAt: now + 60_000)
            try await storage.read { try await $0.loginSuspensions.insert(stateHash: "live", record) }
            try await storage.read { try await $0.loginSuspensions.insert(stateHash: "old", Self.suspension(expiresAt: now - 1)) }
            #expect(try await storage.read { try await $0.loginSuspensions.find(stateHash: "live", now: now) } == .live(record))
            #expect(try await storage.read { try await $0.loginSuspensions.find(stateHash: "old", now: now) } == .expired)
            #expect(try await storage.read { try await $0.loginSuspensions.find(stateHash: "none", now: now) } == .unknown)
            #expect(try await storage.read { try await $0.loginSuspensions.consume(stateHash: "old", now: now) } == nil)
            let claims = try await withThrowingTaskGroup(of: LoginSuspensionRecord?.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await storage.read { try await $0.loginSuspensions.consume(stateHash: "live", now: now) } }
                }
                return try await group.reduce(into: [LoginSuspensionRecord]()) { if let claimed = $1 { $0.append(claimed) } }
            }
            #expect(claims == [record])
            #expect(try await storage.read { try await $0.loginSuspensions.find(stateHash: "live", now: now) } == .consumed)
            // A consumed or expired suspension is not updated; a released one is live again.
            #expect(try await storage.read { try await $0.loginSuspensions.update(stateHash: "live", login: "x", now: now) } == false)
            #expect(try await storage.read { try await $0.loginSuspensions.update(stateHash: "old", login: "x", now: now) } == false)
            try await storage.read { try await $0.loginSuspensions.release(stateHash: "live") }
            let updated = LoginSuspensionRecord(
                user_id: record.user_id, client_id: record.client_id, browser_hash: record.browser_hash, reason: record.reason,
                created_at: record.created_at, expires_at: record.expires_at, login: .object(["step": "proved"]))
            #expect(
                try await storage.read { try await $0.loginSuspensions.update(stateHash: "live", login: updated.login, now: now) })
            #expect(try await storage.read { try await $0.loginSuspensions.find(stateHash: "live", now: now) } == .live(updated))
            #expect(try await storage.read { try await $0.loginSuspensions.consume(stateHash: "live", now: now) } == updated)
            try await storage.read { try await $0.loginSuspensions.purge(expiredBefore: now + 120_000) }
            #expect(try await storage.read { try await $0.loginSuspensions.find(stateHash: "live", now: now) } == .unknown)
        }
    }

    /// The database URL of a fresh database for `engine`: a SQLite file, or a PostgreSQL database
    /// of its own on `GATEHOUSE_TEST_POSTGRES_URL`'s server.
    static func freshDatabaseURL(_ engine: String) async throws -> String {
        guard engine == "postgres", let base = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] else {
            return "sqlite://" + FileManager.default.temporaryDirectory.appendingPathComponent("gh-\(UUID().uuidString).db").path
        }
        var logger = Logger(label: "storage-test")
        logger.logLevel = .warning
        let name = "gh_test_" + RandomIdentifier.hex(byteCount: 6)
        let admin = try GatehouseDatabase(url: base, logger: logger)
        try await admin.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        await admin.shutdown()
        return String(base[..<(base.lastIndex(of: "/") ?? base.endIndex)]) + "/" + name
    }

    @Test("a login suspended on one instance continues on another sharing its database", arguments: StorageContractTests.engines)
    func resumeOnAnotherInstance(engine: String) async throws {
        let url = try await Self.freshDatabaseURL(engine)
        defer {
            if let path = GatehouseDatabase.sqliteFilePath(of: url) {
                for suffix in ["", "-wal", "-shm", ".key"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        }
        let configuration = TestServer.configuration(database: url)
        try await TestServer.run(configuration) { first in
            let fixtures = try await Fixtures.make(first)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            try await fixtures.bind(
                [RedirectResumeTests.first, RedirectResumeTests.redirecting(), RedirectResumeTests.later], to: "post-login",
                version: "v3")
            let pkce = PKCEPair.make()
            let away = try await RedirectResumeTests.loginToTarget(first, app, pkce: pkce)
            let state = try #require(away.redirectQuery["state"])
            try await TestServer.run(configuration) { second in
                second.adoptCookies(of: first)
                let back = try await second.request(
                    .get, "/continue?state=\(state)&session_token=\(RedirectResumeTests.returnToken(sub: userID, state: state))")
                let code = try #require(back.redirectQuery["code"], "\(back.location ?? back.text)")
                let tokens = try await PostLoginTests.exchange(second, app, code: code, verifier: pkce.verifier)
                let claims = jwtClaims(try #require(tokens.json["id_token"]?.stringValue))
                #expect(claims["https://example.com/verified"]?["metadata"] == "first")
                #expect(claims["https://example.com/later"] == "GET")
            }
            // The first instance sees the state as used.
            let replay = try await first.request(.get, "/continue?state=\(state)")
            #expect(replay.text.contains("already continued"))
        }
    }
}
