import Foundation
import SQLKit

/// JSON text for the `document` column of every aggregate table.
enum DocumentCoding {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from row: any SQLRow, table: String, id: String) throws -> T {
        let text = try row.decode(column: "document", as: String.self)
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StorageError.corruptDocument(table: table, id: id)
        }
    }
}

extension SQLDatabase {
    /// Runs an insert and turns a unique-constraint violation into `StorageError.conflict`.
    func insertUnique(_ what: String, _ build: (any SQLDatabase) -> SQLInsertBuilder) async throws {
        do {
            try await build(self).run()
        } catch  where StorageError.isUniqueViolation(error) {
            throw StorageError.conflict(what)
        }
    }
}

/// One page of a list, with the total when the caller asked for it.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int

    public init(items: [Item], total: Int) {
        self.items = items
        self.total = total
    }
}

/// Auth0's pagination: `page` (from 0) and `per_page` (default 50, at most 100).
public struct PageRequest: Sendable, Equatable {
    public var page: Int
    public var perPage: Int

    public init(page: Int = 0, perPage: Int = 50) {
        self.page = max(0, page)
        self.perPage = min(max(1, perPage), 100)
    }

    var offset: Int { page * perPage }
}
