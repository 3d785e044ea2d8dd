import GatehouseCore
import GatehouseStorage
import Testing

extension StorageContractTests {
    @Test(
        "post-login session changes: metadata merged, deleted, evicted; expiry only shortened and honoured by lookups",
        arguments: engines)
    func sessionChanges(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let now = Timestamp.nowMillis()
            let hour: EpochMillis = 3_600_000
            let session = SessionRecord(
                id: "sid-1", user_id: "auth0|1", connection: "db", authenticated_at: now, created_at: now, expires_at: now + 24 * hour,
                clients: ["app"])
            try await storage.read { try await $0.sessions.insert(session, secretHash: "hash-1") }

            let first = SessionChanges(
                metadata: [.set(key: "device", value: "phone"), .set(key: "org", value: "acme"), .delete(key: "org")],
                expiresAt: now + 2 * hour, idleExpiresAt: now + 3 * hour)
            let applied = try await storage.transaction { try await $0.sessions.apply(first, toSession: "sid-1") }
            #expect(applied?.session_metadata == ["device": "phone"])
            #expect(applied?.expires_at == now + 2 * hour)
            #expect(applied?.idle_expires_at == now + 3 * hour)

            // A later, longer expiry never lengthens the session; metadata merges with what is stored.
            let second = SessionChanges(metadata: [.set(key: "step", value: "2")], expiresAt: now + 10 * hour)
            _ = try await storage.read { try await $0.sessions.apply(second, toSession: "sid-1") }
            let stored = try #require(try await storage.read { try await $0.sessions.active(id: "sid-1", now: now) })
            #expect(stored.session_metadata == ["device": "phone", "step": "2"])
            #expect(stored.expires_at == now + 2 * hour)

            // The idle expiry ends the session for every lookup once it is the earlier.
            _ = try await storage.read {
                try await $0.sessions.apply(SessionChanges(idleExpiresAt: now + hour), toSession: "sid-1")
            }
            #expect(try await storage.read { try await $0.sessions.active(secretHash: "hash-1", now: now + hour - 1) } != nil)
            #expect(try await storage.read { try await $0.sessions.active(secretHash: "hash-1", now: now + hour + 1) } == nil)
            #expect(try await storage.read { try await $0.sessions.active(userID: "auth0|1", now: now + hour + 1) }.isEmpty)

            // Evict clears; too many keys fail and write nothing.
            let evicted = try await storage.read {
                try await $0.sessions.apply(SessionChanges(metadata: [.evict, .set(key: "a", value: "1")]), toSession: "sid-1")
            }
            #expect(evicted?.session_metadata == ["a": "1"])
            let tooMany = SessionChanges(metadata: (0..<25).map { .set(key: "k\($0)", value: "v") })
            await #expect(throws: SessionMetadataError("Metadata may have at most 25 properties", target: "session")) {
                try await storage.transaction { try await $0.sessions.apply(tooMany, toSession: "sid-1") }
            }
            let after = try await storage.read { try await $0.sessions.active(id: "sid-1", now: now) }
            #expect(after?.session_metadata == ["a": "1"])

            #expect(try await storage.read { try await $0.sessions.apply(first, toSession: "missing") } == nil)
            try await storage.read { try await $0.sessions.revoke("sid-1", at: now) }
            #expect(try await storage.read { try await $0.sessions.apply(first, toSession: "sid-1") } == nil)
        }
    }

    @Test(
        "post-login refresh-token changes: metadata stored; a non-expiring token gets an expiry; idle expiry honoured",
        arguments: engines)
    func refreshTokenChanges(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let now = Timestamp.nowMillis()
            let hour: EpochMillis = 3_600_000
            let token = RefreshTokenRecord(
                id: "rt-1", family_id: "fam-1", client_id: "app", user_id: "auth0|1", scope: "openid offline_access", audience: nil,
                session_id: "sid-1", auth_time: now / 1000, created_at: now, expires_at: nil)
            try await storage.read { try await $0.refreshTokens.insert(tokenHash: "rt-hash", token) }

            let changes = SessionChanges(
                metadata: [.set(key: "device-name", value: "Jane's phone")], expiresAt: now + 5 * hour, idleExpiresAt: now + hour)
            let applied = try await storage.read { try await $0.refreshTokens.apply(changes, toToken: "rt-1") }
            #expect(applied?.expires_at == now + 5 * hour)
            #expect(applied?.endsAt == now + hour)

            let found = try #require(try await storage.read { try await $0.refreshTokens.find(tokenHash: "rt-hash") })
            #expect(found.refresh_token_metadata == ["device-name": "Jane's phone"])
            #expect(found.idle_expires_at == now + hour)
            #expect(found.rotated_at == nil && found.revoked_at == nil)
            #expect(try await storage.read { try await $0.refreshTokens.active(userID: "auth0|1", now: now) }.map(\.id) == ["rt-1"])
            #expect(try await storage.read { try await $0.refreshTokens.active(userID: "auth0|1", now: now + hour + 1) }.isEmpty)

            // Never lengthened.
            let later = try await storage.read {
                try await $0.refreshTokens.apply(SessionChanges(expiresAt: now + 50 * hour), toToken: "rt-1")
            }
            #expect(later?.expires_at == now + 5 * hour)
            #expect(try await storage.read { try await $0.refreshTokens.apply(changes, toToken: "missing") } == nil)
        }
    }
}
