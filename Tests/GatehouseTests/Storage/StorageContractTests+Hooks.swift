import Foundation
import GatehouseCore
import GatehouseStorage
import SQLKit
import Testing

extension StorageContractTests {
    @Test(
        "hooks: name unique, one enabled per extensibility point, filters, secrets sealed; every write moves the configuration version",
        arguments: engines)
    func hooks(engine: String) async throws {
        try await Self.withStorage(engine) { storage in
            @Sendable func version() async throws -> Int64 { try await storage.read { try await $0.tenant.configurationVersion() } }
            let start = try await version()
            let a = HookRecord(
                id: "hk_a", name: "a", script: "module.exports = function (u, c, cb) { cb(); };", triggerId: "pre-user-registration",
                enabled: true, dependencies: ["lodash": "4.17.21"], nodeModules: "/bundles/x/node_modules")
            let b = HookRecord(id: "hk_b", name: "b", script: "x", triggerId: "pre-user-registration", enabled: false)
            let c = HookRecord(id: "hk_c", name: "c", script: "x", triggerId: "credentials-exchange", enabled: true)
            try await storage.read { try await $0.hooks.insert(a, secrets: ["TOKEN": "plain-hook-secret"]) }
            try await storage.read { try await $0.hooks.insert(b, secrets: [:]) }
            try await storage.read { try await $0.hooks.insert(c, secrets: [:]) }
            #expect(try await version() > start)
            #expect(try await storage.read { try await $0.hooks.get("hk_a") } == a)
            #expect(try await storage.read { try await $0.hooks.enabled(triggerID: "pre-user-registration") } == a)
            #expect(try await storage.read { try await $0.hooks.enabled(triggerID: "send-phone-message") } == nil)
            let page = PageRequest(page: 0, perPage: 10)
            #expect(
                try await storage.read { try await $0.hooks.list(page, enabled: nil, triggerID: "pre-user-registration") }.items.map(\.id)
                    == ["hk_a", "hk_b"])
            #expect(try await storage.read { try await $0.hooks.list(page, enabled: true, triggerID: nil) }.total == 2)
            // A second enabled hook of the same extensibility point, or a taken name, is a conflict.
            await #expect(throws: StorageError.self) {
                try await storage.read {
                    try await $0.hooks.insert(
                        HookRecord(id: "hk_d", name: "d", script: "x", triggerId: "pre-user-registration", enabled: true), secrets: [:])
                }
            }
            await #expect(throws: StorageError.self) {
                try await storage.read {
                    try await $0.hooks.insert(
                        HookRecord(id: "hk_d", name: "a", script: "x", triggerId: "send-phone-message", enabled: false), secrets: [:])
                }
            }
            var enabling = b
            enabling.enabled = true
            let clash = enabling
            await #expect(throws: StorageError.self) { try await storage.read { try await $0.hooks.update(clash) } }
            var disabling = a
            disabling.enabled = false
            let off = disabling
            try await storage.read { try await $0.hooks.update(off) }
            try await storage.read { try await $0.hooks.update(clash) }
            #expect(try await storage.read { try await $0.hooks.enabled(triggerID: "pre-user-registration") }?.id == "hk_b")

            #expect(try await storage.read { try await $0.hooks.secrets("hk_a") } == ["TOKEN": "plain-hook-secret"])
            let before = try await version()
            try await storage.read { try await $0.hooks.setSecrets("hk_a", ["TOKEN": "plain-hook-secret-2", "B": "bee-value"]) }
            #expect(try await version() > before)
            #expect(try await storage.read { try await $0.hooks.secrets("hk_a") } == ["TOKEN": "plain-hook-secret-2", "B": "bee-value"])
            let stored = try await storage.database.read { db in
                try await db.select().column("sealed_secrets").from("hooks").all()
                    .map { try $0.decode(column: "sealed_secrets", as: String.self) }
            }
            #expect(stored.count == 3 && !stored.contains { $0.contains("plain-hook") || $0.contains("bee-value") })

            #expect(try await storage.read { try await $0.hooks.delete("hk_a") })
            #expect(try await storage.read { try await $0.hooks.delete("hk_a") } == false)
            #expect(try await storage.read { try await $0.hooks.all() }.map(\.id) == ["hk_b", "hk_c"])
        }
    }
}
