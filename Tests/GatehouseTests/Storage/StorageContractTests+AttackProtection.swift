import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

extension StorageContractTests {
    @Test("brute-force counters: concurrent reservations each get their own count; reset, blocks, clear, purge", arguments: engines)
    func loginAttempts(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let key = LoginAttemptKey(connection: "db", identifier: "Jane@Example.com", userID: "auth0|jane", ip: "10.0.0.1")
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        try await storage.transaction { try await $0.loginAttempts.reserve(key, limit: 10, forgetBefore: 0, at: 1_000) }
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(counts.sorted() == Array(1...40))
            let other = LoginAttemptKey(connection: "db", identifier: "jane@example.com", userID: "auth0|jane", ip: "10.0.0.2")
            #expect(try await storage.read { try await $0.loginAttempts.reserve(other, limit: 10, forgetBefore: 0, at: 1_000) } == 1)
            let blocks = try await storage.read { try await $0.loginAttempts.blocks(userIDs: ["auth0|jane"], identifiers: [], limit: 10) }
            #expect(
                blocks == [
                    LoginBlockRecord(connection: "db", identifier: "jane@example.com", userID: "auth0|jane", ip: "10.0.0.1", attempts: 40)
                ])
            // A count below the limit is forgotten once idle past the window; a block is not.
            #expect(try await storage.read { try await $0.loginAttempts.reserve(other, limit: 10, forgetBefore: 2_000, at: 3_000) } == 1)
            #expect(try await storage.read { try await $0.loginAttempts.reserve(key, limit: 10, forgetBefore: 2_000, at: 3_000) } == 41)
            try await storage.read { try await $0.loginAttempts.reset(key) }
            #expect(try await storage.read { try await $0.loginAttempts.reserve(key, limit: 10, forgetBefore: 0, at: 4_000) } == 1)
            // Names that belong to nobody are counted (and listed) by what was typed.
            let nobody = LoginAttemptKey(connection: "db", identifier: "ghost@example.com", userID: nil, ip: "10.0.0.1")
            for _ in 0..<3 {
                _ = try await storage.read { try await $0.loginAttempts.reserve(nobody, limit: 3, forgetBefore: 0, at: 5_000) }
            }
            let ghost = try await storage.read {
                try await $0.loginAttempts.blocks(userIDs: [], identifiers: ["GHOST@example.com"], limit: 3)
            }
            #expect(ghost.map(\.identifier) == ["ghost@example.com"])
            try await storage.read { try await $0.loginAttempts.purge(idleBefore: 3_500, limit: 10) }
            #expect(
                try await storage.read { try await $0.loginAttempts.blocks(userIDs: ["auth0|jane"], identifiers: [], limit: 1) }.count == 1)
            try await storage.read { try await $0.loginAttempts.clear(userIDs: ["auth0|jane"], identifiers: ["ghost@example.com"]) }
            #expect(
                try await storage.read {
                    try await $0.loginAttempts.blocks(userIDs: ["auth0|jane"], identifiers: ["ghost@example.com"], limit: 1)
                }.isEmpty)
        }
    }

    @Test("IP buckets: max_attempts at once, one more per rate, give back, purge", arguments: engines)
    func ipThrottle(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            @Sendable func take(at now: EpochMillis) async throws -> Bool {
                try await storage.transaction {
                    try await $0.ipThrottle.take(stage: "pre-login", ip: "10.0.0.1", maxAttempts: 3, rateMillis: 1_000, at: now)
                }
            }
            let granted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 { group.addTask { try await take(at: 10_000) } }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(granted == 3)
            #expect(try await take(at: 10_500) == false)
            #expect(try await take(at: 11_000) == true)
            #expect(try await take(at: 11_100) == false)
            try await storage.read { try await $0.ipThrottle.giveBack(stage: "pre-login", ip: "10.0.0.1", rateMillis: 1_000) }
            #expect(try await take(at: 11_200) == true)
            #expect(
                try await storage.read {
                    try await $0.ipThrottle.take(
                        stage: "pre-user-registration", ip: "10.0.0.1", maxAttempts: 1, rateMillis: 1_000, at: 11_200)
                })
            try await storage.read { try await $0.ipThrottle.purge(now: 100_000) }
            let left = try await storage.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM ip_throttle").first()?.decode(column: "n", as: Int.self)
            }
            #expect(left == 0)
        }
    }

    @Test("sessions are found by the digest of their secret or by their public id, never by the secret", arguments: engines)
    func sessionSecrets(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let session = SessionRecord(
                id: "sid-1", user_id: "auth0|jane", connection: "db", authenticated_at: 1, created_at: 1, expires_at: 10_000,
                clients: ["app"])
            try await storage.read { try await $0.sessions.insert(session, secretHash: SecretComparison.digest("cookie-secret")) }
            let hash = SecretComparison.digest("cookie-secret")
            #expect(try await storage.read { try await $0.sessions.active(secretHash: hash, now: 5) } == session)
            #expect(try await storage.read { try await $0.sessions.active(secretHash: "cookie-secret", now: 5) } == nil)
            #expect(try await storage.read { try await $0.sessions.active(secretHash: SecretComparison.digest("sid-1"), now: 5) } == nil)
            #expect(try await storage.read { try await $0.sessions.active(id: "sid-1", now: 5) } == session)
            #expect(try await storage.read { try await $0.sessions.active(secretHash: hash, now: 10_000) } == nil)
            try await storage.read { try await $0.sessions.revoke("sid-1", at: 6) }
            #expect(try await storage.read { try await $0.sessions.active(secretHash: hash, now: 7) } == nil)
        }
    }
}
