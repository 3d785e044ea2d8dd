import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

extension StorageContractTests {
    @Test("a redeemed code remembers the refresh family its exchange started; expired codes are purged", arguments: engines)
    func codeFamiliesAndPurge(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let now = Timestamp.nowMillis()
            @Sendable func code(expiresAt: EpochMillis) -> AuthorizationCodeRecord {
                AuthorizationCodeRecord(
                    client_id: "c", user_id: "u", redirect_uri: "https://x/cb", scope: "openid", audience: nil, nonce: nil,
                    code_challenge: nil, code_challenge_method: nil, session_id: "s", auth_time: 0, expires_at: expiresAt,
                    redirect_uri_sent: true)
            }
            try await storage.read { try await $0.authorizationCodes.insert(codeHash: "a", code(expiresAt: now + 60_000)) }
            #expect(try await storage.read { try await $0.authorizationCodes.redeemedFamily(codeHash: "a") } == nil, "not redeemed")
            let redeemed = try await storage.read { try await $0.authorizationCodes.consume(codeHash: "a", now: now) }
            #expect(redeemed?.redirect_uri_sent == true)
            #expect(try await storage.read { try await $0.authorizationCodes.redeemedFamily(codeHash: "a") } == "")
            try await storage.read { try await $0.authorizationCodes.setRefreshFamily(codeHash: "a", familyID: "fam-a") }
            #expect(try await storage.read { try await $0.authorizationCodes.redeemedFamily(codeHash: "a") } == "fam-a")
            try await storage.read { try await $0.authorizationCodes.purge(expiredBefore: now) }
            #expect(try await storage.read { try await $0.authorizationCodes.redeemedFamily(codeHash: "a") } == "fam-a", "not yet expired")
            try await storage.read { try await $0.authorizationCodes.purge(expiredBefore: now + 120_000) }
            #expect(try await storage.read { try await $0.authorizationCodes.redeemedFamily(codeHash: "a") } == nil)
        }
    }

    @Test("a user's live sessions and refresh tokens are listed; revoking by session; ended rows are purged", arguments: engines)
    func sessionsAndTokensOfAUser(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let now = Timestamp.nowMillis()
            @Sendable func session(_ id: String, expiresAt: EpochMillis) -> SessionRecord {
                SessionRecord(
                    id: id, user_id: "u", connection: "db", authenticated_at: now, created_at: now, expires_at: expiresAt, clients: ["c"])
            }
            @Sendable func token(_ id: String, family: String, session: String?, expiresAt: EpochMillis?) -> RefreshTokenRecord {
                RefreshTokenRecord(
                    id: id, family_id: family, client_id: "c", user_id: "u", scope: "openid offline_access", audience: nil,
                    session_id: session, auth_time: 0, created_at: now, expires_at: expiresAt)
            }
            try await storage.read { repositories in
                try await repositories.sessions.insert(session("s1", expiresAt: now + 60_000), secretHash: "h-s1")
                try await repositories.sessions.insert(session("s2", expiresAt: now + 60_000), secretHash: "h-s2")
                try await repositories.sessions.insert(session("old", expiresAt: now - 1), secretHash: "h-old")
                try await repositories.refreshTokens.insert(tokenHash: "t1", token("t1", family: "f1", session: "s1", expiresAt: nil))
                try await repositories.refreshTokens.insert(
                    tokenHash: "t2", token("t2", family: "f2", session: "s2", expiresAt: now + 60_000))
                try await repositories.refreshTokens.insert(tokenHash: "t3", token("t3", family: "f3", session: nil, expiresAt: now - 1))
            }
            #expect(Set(try await storage.read { try await $0.sessions.active(userID: "u", now: now) }.map(\.id)) == ["s1", "s2"])
            #expect(Set(try await storage.read { try await $0.refreshTokens.active(userID: "u", now: now) }.map(\.id)) == ["t1", "t2"])
            #expect(try await storage.read { try await $0.refreshTokens.get(id: "t2") }?.family_id == "f2")

            try await storage.read { try await $0.refreshTokens.revokeAll(userID: "u", sessionID: "s1", at: now) }
            #expect(try await storage.read { try await $0.refreshTokens.active(userID: "u", now: now) }.map(\.id) == ["t2"])
            try await storage.read { try await $0.refreshTokens.revokeAll(userID: "u", sessionID: nil, at: now) }
            #expect(try await storage.read { try await $0.refreshTokens.active(userID: "u", now: now) }.isEmpty)

            try await storage.read { try await $0.sessions.purge(endedBefore: now) }
            #expect(try await storage.read { try await $0.sessions.active(id: "s1", now: now) } != nil)
            try await storage.read { try await $0.sessions.purge(endedBefore: now + 120_000) }
            #expect(try await storage.read { try await $0.sessions.active(userID: "u", now: now) }.isEmpty)
            try await storage.read { try await $0.refreshTokens.purge(endedBefore: now + 1) }
            #expect(try await storage.read { try await $0.refreshTokens.get(id: "t1") } == nil, "revoked, so purged")
            #expect(try await storage.read { try await $0.refreshTokens.get(id: "t3") } == nil, "expired, so purged")
        }
    }
}
