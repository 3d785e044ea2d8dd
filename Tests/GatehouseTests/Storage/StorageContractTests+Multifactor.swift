import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

extension StorageContractTests {
    static func enrollment(
        _ kind: MultifactorEnrollmentRecord.Kind, user: String = "auth0|jane", status: MultifactorEnrollmentRecord.Status = .pending,
        phone: String? = nil, at: EpochMillis = 1_000
    ) -> MultifactorEnrollmentRecord {
        MultifactorEnrollmentRecord(
            id: MultifactorEnrollmentRecord.newID(), user_id: user, kind: kind, status: status, phone_number: phone, created_at: at)
    }

    @Test("authenticators: TOTP keys sealed, confirmed once, a time step used once, recovery codes replaced once", arguments: engines)
    func multifactorEnrollments(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let totp = Self.enrollment(.totp)
            let phone = Self.enrollment(.phone, status: .confirmed, phone: "+15555550100", at: 2_000)
            let recovery = Self.enrollment(.recoveryCode, status: .confirmed, at: 3_000)
            try await storage.transaction { repositories in
                try await repositories.multifactor.insert(totp, totpSecret: "KEY-of-jane", secretHash: nil)
                try await repositories.multifactor.insert(phone, totpSecret: nil, secretHash: nil)
                try await repositories.multifactor.insert(recovery, totpSecret: nil, secretHash: "hash-1")
                try await repositories.multifactor.insert(
                    Self.enrollment(.totp, user: "auth0|john"), totpSecret: "KEY-of-john", secretHash: nil)
            }
            await #expect(throws: StorageError.conflict("authenticator \(totp.id)")) {
                try await storage.read { try await $0.multifactor.insert(totp, totpSecret: "x", secretHash: nil) }
            }
            #expect(try await storage.read { try await $0.multifactor.enrollments(userID: "auth0|jane") } == [totp, phone, recovery])
            #expect(try await storage.read { try await $0.multifactor.get(phone.id) } == phone)
            #expect(try await storage.read { try await $0.multifactor.totpSecret(totp.id) } == "KEY-of-jane")
            #expect(try await storage.read { try await $0.multifactor.totpSecret(phone.id) } == nil)
            // The key is not stored as it is.
            let sealed = try await storage.database.read { db in
                try await db.select().column("sealed_secret").from("mfa_enrollments").where("id", .equal, totp.id).first()?
                    .decode(column: "sealed_secret", as: String.self)
            }
            #expect(sealed?.hasPrefix("v1:") == true && sealed?.contains("KEY") == false)

            #expect(try await storage.read { try await $0.multifactor.confirm(totp.id, at: 5_000) })
            #expect(try await storage.read { try await $0.multifactor.confirm(totp.id, at: 5_001) } == false)
            #expect(try await storage.read { try await $0.multifactor.get(totp.id) }?.status == .confirmed)

            // Concurrent uses of one time step: exactly one wins; an older step is a replay too.
            let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await storage.transaction { try await $0.multifactor.useTOTPStep(totp.id, step: 100, at: 6_000) } }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(wins == 1)
            #expect(try await storage.read { try await $0.multifactor.useTOTPStep(totp.id, step: 99, at: 6_000) } == false)
            #expect(try await storage.read { try await $0.multifactor.useTOTPStep(totp.id, step: 101, at: 6_030) })
            #expect(try await storage.read { try await $0.multifactor.get(totp.id) }?.last_auth_at == 6_030)

            let replaced = try await storage.read {
                try await $0.multifactor.replaceRecoveryCode(userID: "auth0|jane", oldHash: "hash-1", newHash: "hash-2", at: 7_000)
            }
            #expect(replaced?.id == recovery.id && replaced?.last_auth_at == 7_000)
            #expect(
                try await storage.read {
                    try await $0.multifactor.replaceRecoveryCode(userID: "auth0|jane", oldHash: "hash-1", newHash: "hash-3", at: 7_001)
                } == nil)
            #expect(
                try await storage.read {
                    try await $0.multifactor.replaceRecoveryCode(userID: "auth0|john", oldHash: "hash-2", newHash: "hash-3", at: 7_001)
                } == nil)

            #expect(try await storage.read { try await $0.multifactor.deleteAll(userID: "auth0|jane", kinds: [.recoveryCode]) } == 1)
            #expect(try await storage.read { try await $0.multifactor.delete(phone.id) })
            #expect(try await storage.read { try await $0.multifactor.delete(phone.id) } == false)
            #expect(try await storage.read { try await $0.multifactor.enrollments(userID: "auth0|jane") }.map(\.id) == [totp.id])
            #expect(try await storage.read { try await $0.multifactor.deleteAll(userID: "auth0|jane", kinds: nil) } == 1)
            #expect(try await storage.read { try await $0.multifactor.enrollments(userID: "auth0|john") }.count == 1)
        }
    }

    @Test("SMS codes: one live code per authenticator, a bounded number of guesses, used once, purged", arguments: engines)
    func multifactorCodes(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let phone = Self.enrollment(.phone, phone: "+15555550100")
            try await storage.read { try await $0.multifactor.insert(phone, totpSecret: nil, secretHash: nil) }
            @Sendable func store(_ hash: String, at: EpochMillis) async throws {
                try await storage.read {
                    try await $0.multifactor.storeCode(
                        MultifactorCodeRecord(
                            enrollment_id: phone.id, user_id: phone.user_id, code_hash: hash, created_at: at, expires_at: at + 300_000))
                }
            }
            try await store("old", at: 1_000)
            _ = try await storage.read { try await $0.multifactor.attemptCode(enrollmentID: phone.id, maxAttempts: 5, now: 2_000) }
            try await store("new", at: 3_000)  // replaces the old code and its count
            let attempts = try await withThrowingTaskGroup(of: MultifactorCodeRecord?.self) { group in
                for _ in 0..<9 {
                    group.addTask {
                        try await storage.transaction {
                            try await $0.multifactor.attemptCode(enrollmentID: phone.id, maxAttempts: 5, now: 4_000)
                        }
                    }
                }
                return try await group.reduce(into: [MultifactorCodeRecord]()) { if let code = $1 { $0.append(code) } }
            }
            #expect(attempts.map(\.attempts).sorted() == [1, 2, 3, 4, 5])
            #expect(attempts.allSatisfy { $0.code_hash == "new" })
            try await store("fresh", at: 5_000)
            // Expired: no guess is granted.
            #expect(
                try await storage.read { try await $0.multifactor.attemptCode(enrollmentID: phone.id, maxAttempts: 5, now: 305_000) } == nil
            )
            #expect(try await storage.read { try await $0.multifactor.consumeCode(enrollmentID: phone.id, codeHash: "wrong") } == false)
            #expect(try await storage.read { try await $0.multifactor.consumeCode(enrollmentID: phone.id, codeHash: "fresh") })
            #expect(try await storage.read { try await $0.multifactor.consumeCode(enrollmentID: phone.id, codeHash: "fresh") } == false)
            try await store("later", at: 10_000)
            try await storage.read { try await $0.multifactor.purgeCodes(expiredBefore: 400_000) }
            #expect(
                try await storage.read { try await $0.multifactor.attemptCode(enrollmentID: phone.id, maxAttempts: 5, now: 11_000) } == nil)
        }
    }

    @Test("remembered browsers per user, forgotten on demand and when expired; Guardian settings upserted", arguments: engines)
    func rememberedBrowsersAndSettings(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            try await storage.transaction { repositories in
                try await repositories.rememberedBrowsers.remember(tokenHash: "a", userID: "auth0|jane", createdAt: 0, expiresAt: 1_000)
                try await repositories.rememberedBrowsers.remember(tokenHash: "b", userID: "auth0|jane", createdAt: 0, expiresAt: 9_000)
                try await repositories.rememberedBrowsers.remember(tokenHash: "c", userID: "auth0|john", createdAt: 0, expiresAt: 9_000)
            }
            #expect(try await storage.read { try await $0.rememberedBrowsers.isRemembered(tokenHash: "a", userID: "auth0|jane", now: 500) })
            #expect(
                try await storage.read { try await $0.rememberedBrowsers.isRemembered(tokenHash: "a", userID: "auth0|jane", now: 1_000) }
                    == false)
            #expect(
                try await storage.read { try await $0.rememberedBrowsers.isRemembered(tokenHash: "c", userID: "auth0|jane", now: 500) }
                    == false)
            try await storage.read { try await $0.rememberedBrowsers.forget(userID: "auth0|jane") }
            #expect(
                try await storage.read { try await $0.rememberedBrowsers.isRemembered(tokenHash: "b", userID: "auth0|jane", now: 500) }
                    == false)
            #expect(try await storage.read { try await $0.rememberedBrowsers.isRemembered(tokenHash: "c", userID: "auth0|john", now: 500) })
            try await storage.read { try await $0.rememberedBrowsers.purge(expiredBefore: 10_000) }
            #expect(
                try await storage.read { try await $0.rememberedBrowsers.isRemembered(tokenHash: "c", userID: "auth0|john", now: 500) }
                    == false)

            #expect(try await storage.read { try await $0.guardianSettings.all() } == [:])
            try await storage.read { try await $0.guardianSettings.set("factor.otp", "true") }
            try await storage.read { try await $0.guardianSettings.set("factor.otp", "false") }
            try await storage.read { try await $0.guardianSettings.set("phone.selected_provider", "phone-message-hook") }
            #expect(
                try await storage.read { try await $0.guardianSettings.all() }
                    == ["factor.otp": "false", "phone.selected_provider": "phone-message-hook"])
        }
    }
}
