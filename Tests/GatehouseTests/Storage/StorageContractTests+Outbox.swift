import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

extension StorageContractTests {
    static func message(_ key: String, kind: String = "test-kind") -> OutboxMessage {
        OutboxMessage(kind: kind, idempotencyKey: key, payload: .object(["key": .string(key), "n": 1]))
    }

    @Test("outbox: enqueued once per key, written with its transaction or not at all", arguments: engines)
    func outboxEnqueue(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            #expect(try await storage.read { try await $0.outbox.enqueue(Self.message("k1"), now: 1_000) })
            #expect(try await storage.read { try await $0.outbox.enqueue(Self.message("k1"), now: 2_000) } == false)
            let stored = try #require(try await storage.read { try await $0.outbox.find(idempotencyKey: "k1") })
            #expect(stored.state == .pending && stored.attempts == 0 && stored.createdAt == 1_000 && stored.nextAttemptAt == 1_000)
            #expect(stored.message == Self.message("k1"))
            #expect(try await storage.read { try await $0.outbox.get(stored.id) } == stored)

            struct Refused: Error {}
            await #expect(throws: Refused.self) {
                try await storage.transaction { repositories in
                    try await repositories.outbox.enqueue(Self.message("k2"), now: 1_000)
                    throw Refused()
                }
            }
            #expect(try await storage.read { try await $0.outbox.find(idempotencyKey: "k2") } == nil)
            #expect(try await storage.read { try await $0.outbox.counts() } == [.pending: 1])
        }
    }

    @Test("outbox: a claim leases due rows once; a lapsed lease is taken over and fences the old claim out", arguments: engines)
    func outboxLeases(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            try await storage.read { try await $0.outbox.enqueue(Self.message("a"), now: 1_000) }
            try await storage.read { try await $0.outbox.enqueue(Self.message("b"), now: 2_000) }
            try await storage.read { try await $0.outbox.enqueue(Self.message("later"), now: 9_000) }

            let first = try await storage.transaction {
                try await $0.outbox.claim(owner: "one", limit: 10, now: 5_000, leaseUntil: 6_000)
            }
            #expect(first.map(\.record.idempotencyKey) == ["a", "b"])  // oldest due first; "later" is not due
            #expect(first.allSatisfy { $0.attempt == 1 && $0.record.leasedBy == "one" && $0.record.leasedUntil == 6_000 })
            // Leased rows are not due for anyone else while the lease lives.
            #expect(
                try await storage.transaction { try await $0.outbox.claim(owner: "two", limit: 10, now: 5_500, leaseUntil: 7_000) }.isEmpty)

            // "one" delivers "a", then crashes holding "b": its lease lapses and "two" takes "b" over.
            #expect(try await storage.read { try await $0.outbox.markDelivered(first[0], at: 5_100) })
            let takenOver = try await storage.transaction {
                try await $0.outbox.claim(owner: "two", limit: 10, now: 6_000, leaseUntil: 8_000)
            }
            #expect(takenOver.map(\.record.idempotencyKey) == ["b"])
            #expect(takenOver.first?.attempt == 2)
            // The old claim's outcome no longer lands; the new one's does.
            #expect(try await storage.read { try await $0.outbox.markDelivered(first[1], at: 6_100) } == false)
            #expect(
                try await storage.read { try await $0.outbox.markFailed(first[1], error: "late", retryAt: 7_000, at: 6_100) } == false)
            #expect(try await storage.read { try await $0.outbox.markDelivered(takenOver[0], at: 6_200) })
            #expect(try await storage.read { try await $0.outbox.markDelivered(takenOver[0], at: 6_300) } == false)

            let b = try #require(try await storage.read { try await $0.outbox.find(idempotencyKey: "b") })
            #expect(b.state == .delivered && b.deliveredAt == 6_200 && b.attempts == 2 && b.leasedBy == nil && b.lastError == nil)
            // Delivered rows are never claimed again; "later" is, once due.
            let last = try await storage.transaction { try await $0.outbox.claim(owner: "two", limit: 10, now: 9_000, leaseUntil: 9_500) }
            #expect(last.map(\.record.idempotencyKey) == ["later"])
            if last.isEmpty {
                let again = try await storage.transaction {
                    try await $0.outbox.claim(owner: "two", limit: 10, now: 9_000, leaseUntil: 9_500)
                }
                let row = try await storage.read { try await $0.outbox.find(idempotencyKey: "later") }
                print("DEBUG-OUTBOX", engine, again.map(\.record.idempotencyKey), row as Any)
            }
        }
    }

    @Test("outbox: a failed attempt is due again at its retry time; the last one leaves the row dead with its error", arguments: engines)
    func outboxRetries(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            try await storage.read { try await $0.outbox.enqueue(Self.message("r"), now: 1_000) }
            let claim = try #require(
                try await storage.transaction { try await $0.outbox.claim(owner: "one", limit: 1, now: 1_000, leaseUntil: 60_000) }.first)
            #expect(
                try await storage.read { try await $0.outbox.markFailed(claim, error: "receiver answered 503", retryAt: 6_000, at: 1_000) })
            let waiting = try #require(try await storage.read { try await $0.outbox.get(claim.record.id) })
            #expect(waiting.state == .pending && waiting.nextAttemptAt == 6_000 && waiting.lastError == "receiver answered 503")
            #expect(waiting.leasedBy == nil && waiting.leasedUntil == nil)
            #expect(
                try await storage.transaction { try await $0.outbox.claim(owner: "one", limit: 1, now: 5_999, leaseUntil: 60_000) }.isEmpty)

            let again = try #require(
                try await storage.transaction { try await $0.outbox.claim(owner: "one", limit: 1, now: 6_000, leaseUntil: 60_000) }.first)
            #expect(again.attempt == 2)
            #expect(try await storage.read { try await $0.outbox.markFailed(again, error: "still failing", retryAt: nil, at: 7_000) })
            let dead = try #require(try await storage.read { try await $0.outbox.get(claim.record.id) })
            #expect(dead.state == .dead && dead.deadAt == 7_000 && dead.lastError == "still failing" && dead.attempts == 2)
            #expect(
                try await storage.transaction { try await $0.outbox.claim(owner: "one", limit: 1, now: 99_000, leaseUntil: 99_999) }.isEmpty
            )

            // Purge: delivered rows after their cut-off, dead rows after theirs.
            try await storage.read { try await $0.outbox.enqueue(Self.message("d"), now: 1_000) }
            let delivered = try #require(
                try await storage.transaction { try await $0.outbox.claim(owner: "one", limit: 1, now: 8_000, leaseUntil: 9_000) }.first)
            try await storage.read { try await $0.outbox.markDelivered(delivered, at: 8_000) }
            try await storage.read { try await $0.outbox.purge(deliveredBefore: 8_000, deadBefore: 7_000) }
            #expect(try await storage.read { try await $0.outbox.counts() } == [.delivered: 1, .dead: 1])
            try await storage.read { try await $0.outbox.purge(deliveredBefore: 8_001, deadBefore: 7_001) }
            #expect(try await storage.read { try await $0.outbox.counts() } == [:])
        }
    }

    @Test("outbox: concurrent claimers get disjoint rows, and every row is claimed", arguments: engines)
    func outboxConcurrentClaims(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            let keys = (0..<60).map { "row-\($0)" }
            try await storage.transaction { repositories in
                for key in keys { try await repositories.outbox.enqueue(Self.message(key), now: 1_000) }
            }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for claimer in 0..<6 {
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let batch = try await storage.transaction {
                                try await $0.outbox.claim(owner: "claimer-\(claimer)", limit: 4, now: 2_000, leaseUntil: 60_000)
                            }
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.record.idempotencyKey)
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(claimed.count == keys.count)
            #expect(Set(claimed) == Set(keys))
        }
    }
}
