import Foundation
import GatehouseCore
import GatehouseStorage

/// Reads and changes the tenant's branding, kept as one JSON document in the tenant's settings.
public struct BrandingService: Sendable {
    static let setting = "branding"

    let storage: Storage

    public init(storage: Storage) {
        self.storage = storage
    }

    /// The stored branding; none set is an empty document. A document that no longer decodes
    /// (written by hand) brands nothing rather than breaking every hosted page.
    public func settings() async throws -> BrandingSettings {
        guard let text = try await storage.read({ try await $0.tenant.value(Self.setting) }) else { return BrandingSettings() }
        return (try? JSONDecoder().decode(BrandingSettings.self, from: Data(text.utf8))) ?? BrandingSettings()
    }

    /// Applies a PATCH body (validated first: nothing is written when a member is wrong).
    public func update(_ patch: [String: JSONValue]) async throws -> BrandingSettings {
        try await storage.transaction { repositories in
            let current =
                try await repositories.tenant.value(Self.setting).flatMap {
                    try? JSONDecoder().decode(BrandingSettings.self, from: Data($0.utf8))
                } ?? BrandingSettings()
            let updated = try current.patched(with: patch)
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            try await repositories.tenant.set(Self.setting, String(decoding: try encoder.encode(updated), as: UTF8.self))
            return updated
        }
    }
}
