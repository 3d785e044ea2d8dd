import Foundation
import GatehouseCore
import GatehouseStorage
import SQLKit
import Testing

extension StorageContractTests {
    @Test("rules: by order, name and order unique, enabled filter; every write moves the configuration version", arguments: engines)
    func rules(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            @Sendable func version() async throws -> Int64 { try await storage.read { try await $0.tenant.configurationVersion() } }
            let start = try await version()
            let a = RuleRecord(id: "rul_a", name: "a", script: "function (u, c, cb) { cb(null, u, c); }", order: 5, enabled: true)
            let b = RuleRecord(id: "rul_b", name: "b", script: "function (u, c, cb) { cb(null, u, c); }", order: 2, enabled: false)
            try await storage.read { try await $0.rules.insert(a) }
            try await storage.read { try await $0.rules.insert(b) }
            #expect(try await version() > start)
            #expect(try await storage.read { try await $0.rules.all() }.map(\.id) == ["rul_b", "rul_a"])
            #expect(try await storage.read { try await $0.rules.maxOrder() } == 5)
            #expect(try await storage.read { try await $0.rules.list(PageRequest(page: 0, perPage: 10), enabled: true) }.items == [a])
            await #expect(throws: StorageError.self) {
                try await storage.read {
                    try await $0.rules.insert(RuleRecord(id: "rul_c", name: "c", script: "x", order: 5, enabled: true))
                }
            }
            await #expect(throws: StorageError.self) {
                try await storage.read {
                    try await $0.rules.insert(RuleRecord(id: "rul_c", name: "a", script: "x", order: 9, enabled: true))
                }
            }
            var clash = b
            clash.order = 5
            let clashing = clash
            await #expect(throws: StorageError.self) { try await storage.read { try await $0.rules.update(clashing) } }
            let moved = RuleRecord(id: "rul_b", name: "b", script: b.script, order: 9, enabled: true)
            let beforeUpdate = try await version()
            try await storage.read { try await $0.rules.update(moved) }
            #expect(try await version() > beforeUpdate)
            #expect(try await storage.read { try await $0.rules.get("rul_b") } == moved)
            #expect(try await storage.read { try await $0.rules.delete("rul_a") })
            #expect(try await storage.read { try await $0.rules.delete("rul_a") } == false)
            #expect(try await storage.read { try await $0.rules.maxOrder() } == 9)
        }
    }

    @Test("rules configuration: values sealed at rest, replaced by key, listed by key only", arguments: engines)
    func rulesConfiguration(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            try await storage.read { try await $0.rules.setConfiguration(key: "API_KEY", value: "plain-secret-value") }
            try await storage.read { try await $0.rules.setConfiguration(key: "API_KEY", value: "plain-secret-value-2") }
            try await storage.read { try await $0.rules.setConfiguration(key: "DOMAIN", value: "example.com") }
            #expect(try await storage.read { try await $0.rules.configurationKeys() } == ["API_KEY", "DOMAIN"])
            #expect(
                try await storage.read { try await $0.rules.configuration() }
                    == ["API_KEY": "plain-secret-value-2", "DOMAIN": "example.com"])
            let stored = try await storage.database.read { db in
                try await db.select().column("sealed_value").from("rules_configs").all()
                    .map { try $0.decode(column: "sealed_value", as: String.self) }
            }
            #expect(stored.count == 2 && !stored.contains { $0.contains("plain-secret") || $0.contains("example.com") })
            #expect(try await storage.read { try await $0.rules.deleteConfiguration(key: "DOMAIN") })
            #expect(try await storage.read { try await $0.rules.deleteConfiguration(key: "DOMAIN") } == false)
            #expect(try await storage.read { try await $0.rules.configurationKeys() } == ["API_KEY"])
        }
    }
}
