import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Logging
import Synchronization
import Testing

/// The outbox relay on a real database with a handler of the test's: delivery after a wake-up,
/// retries with backoff, dead rows with their error, several relays, a crashed relay's rows.
@Suite("Outbox relay") struct OutboxRelayTests {
    /// Records what it is given; fails the first `failures[key]` attempts of a key.
    final class RecordingHandler: OutboxHandler, Sendable {
        let kind: String
        let failures: [String: Int]
        let seen = Mutex<[OutboxDelivery]>([])

        init(kind: String = "test-kind", failures: [String: Int] = [:]) {
            self.kind = kind
            self.failures = failures
        }

        struct ReceiverDown: Error, CustomStringConvertible {
            let attempt: Int
            var description: String { "the receiver answered 503 (attempt \(attempt))" }
        }

        func deliver(_ delivery: OutboxDelivery) async throws {
            seen.withLock { $0.append(delivery) }
            if delivery.attempt <= failures[delivery.idempotencyKey, default: 0] { throw ReceiverDown(attempt: delivery.attempt) }
        }

        var deliveries: [OutboxDelivery] { seen.withLock { $0 } }
    }

    static let fast = OutboxRelay.Settings(
        retry: OutboxRetryPolicy(backoff: [.milliseconds(20), .milliseconds(40)]), pollInterval: .seconds(3_600), lease: .seconds(60),
        batchSize: 4)

    static func relay(_ storage: Storage, _ settings: OutboxRelay.Settings = fast, handler: RecordingHandler) -> OutboxRelay {
        var logger = Logger(label: "outbox-test")
        logger.logLevel = .critical
        let relay = OutboxRelay(storage: storage, logger: logger, settings: settings)
        relay.register(handler)
        return relay
    }

    static func enqueue(_ storage: Storage, _ keys: [String], kind: String = "test-kind") async throws {
        try await storage.transaction { repositories in
            for key in keys {
                try await repositories.outbox.enqueue(
                    OutboxMessage(kind: kind, idempotencyKey: key, payload: .object(["key": .string(key)])), now: Timestamp.nowMillis())
            }
        }
    }

    /// Waits (at most 30 s: the machine may be busy) until `condition` holds.
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting until \(what)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test("a wake-up delivers at once, without waiting for the poll (an hour here)")
    func wakeDelivers() async throws {
        try await StorageContractTests.withStorage("sqlite") { storage in
            let handler = RecordingHandler()
            let relay = Self.relay(storage, handler: handler)
            relay.start()
            // Let the first pass go by empty, so only the wake-up can deliver what comes next.
            await relay.waitUntilIdle()
            try await Self.enqueue(storage, ["k1"])
            relay.wake()
            try await Self.eventually("k1 is delivered") {
                try await storage.read { try await $0.outbox.find(idempotencyKey: "k1") }?.state == .delivered
            }
            await relay.stop()
            #expect(handler.deliveries.map(\.idempotencyKey) == ["k1"])
            #expect(handler.deliveries.first?.payload == .object(["key": "k1"]) && handler.deliveries.first?.attempt == 1)
            #expect(relay.statistics.delivered == 1)
        }
    }

    @Test("a failing delivery is retried after its backoff, then delivered; after the last attempt the row is dead with its error")
    func retriesThenDead() async throws {
        try await StorageContractTests.withStorage("sqlite") { storage in
            let handler = RecordingHandler(failures: ["flaky": 2, "broken": 99])
            let relay = Self.relay(storage, handler: handler)
            relay.start()
            try await Self.enqueue(storage, ["flaky", "broken"])
            relay.wake()
            try await Self.eventually("both rows are settled") {
                let rows = try await storage.read {
                    [try await $0.outbox.find(idempotencyKey: "flaky"), try await $0.outbox.find(idempotencyKey: "broken")]
                }
                return rows.allSatisfy { $0?.state != .pending }
            }
            // Retries come from the polls of a running relay; with an hour-long poll, from the
            // retry times the relay sleeps towards (a wait below the poll interval).
            await relay.stop()
            let flaky = try #require(try await storage.read { try await $0.outbox.find(idempotencyKey: "flaky") })
            #expect(flaky.state == .delivered && flaky.attempts == 3)
            #expect(flaky.lastError == "the receiver answered 503 (attempt 2)")
            let broken = try #require(try await storage.read { try await $0.outbox.find(idempotencyKey: "broken") })
            #expect(broken.state == .dead && broken.attempts == 3 && broken.deadAt != nil)
            #expect(broken.lastError == "the receiver answered 503 (attempt 3)")
            // Backoff: each retry waited at least its delay after the failure before it.
            #expect(handler.deliveries.filter { $0.idempotencyKey == "flaky" }.map(\.attempt) == [1, 2, 3])
            #expect(relay.statistics == OutboxRelay.Statistics(delivered: 1, failedAttempts: 4, dead: 1, lostClaims: 0))
        }
    }

    @Test("a message of a kind nobody delivers is kept and retried, with an error that says so")
    func unknownKind() async throws {
        try await StorageContractTests.withStorage("sqlite") { storage in
            let relay = Self.relay(storage, handler: RecordingHandler())
            try await Self.enqueue(storage, ["x"], kind: "from-a-newer-version")
            #expect(await relay.deliverDue() == 1)
            let row = try #require(try await storage.read { try await $0.outbox.find(idempotencyKey: "x") })
            #expect(row.state == .pending && row.attempts == 1)
            #expect(row.lastError?.contains("no handler delivers outbox messages of kind 'from-a-newer-version'") == true)
        }
    }

    @Test("several relays on one database deliver every row once")
    func severalRelays() async throws {
        try await StorageContractTests.withStorage("sqlite") { storage in
            let handlers = (0..<3).map { _ in RecordingHandler() }
            let relays = handlers.map { Self.relay(storage, handler: $0) }
            let keys = (0..<40).map { "row-\($0)" }
            try await Self.enqueue(storage, keys)
            for relay in relays { relay.start() }
            for relay in relays { await relay.waitUntilIdle() }
            for relay in relays { await relay.stop() }
            let delivered = handlers.flatMap(\.deliveries).map(\.idempotencyKey)
            #expect(delivered.sorted() == keys.sorted())
            #expect(try await storage.read { try await $0.outbox.counts() } == [.delivered: keys.count])
        }
    }

    @Test("the rows a crashed relay had claimed are delivered by another once the lease lapses, as attempt 2")
    func crashedRelayRowsTakenOver() async throws {
        try await StorageContractTests.withStorage("sqlite") { storage in
            try await Self.enqueue(storage, ["orphan"])
            let now = Timestamp.nowMillis()
            // The crashed instance claimed it and never came back.
            let claimed = try await storage.transaction {
                try await $0.outbox.claim(owner: "crashed", limit: 10, now: now, leaseUntil: now + 2_000)
            }
            #expect(claimed.count == 1)
            let handler = RecordingHandler()
            let relay = Self.relay(storage, handler: handler)
            #expect(await relay.deliverDue(now: now + 1_999) == 0)  // the lease still holds
            #expect(await relay.deliverDue(now: now + 2_000) == 1)  // it lapsed
            #expect(handler.deliveries.map(\.attempt) == [2])
            #expect(try await storage.read { try await $0.outbox.find(idempotencyKey: "orphan") }?.state == .delivered)
        }
    }
}
