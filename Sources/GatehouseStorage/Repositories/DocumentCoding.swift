import Foundation
import GatehouseCore
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
        self.page = min(max(0, page), 1 << 40)  // bounded, so `offset` cannot overflow
        self.perPage = min(max(1, perPage), 100)
    }

    public var offset: Int { page * perPage }
}

extension SQLDatabase {
    /// One page of `table` in `order`, and how many rows pass `filter` in all.
    func page<T: Sendable>(
        of table: String, columns: [String], order: [String] = ["created_at", "id"], descending: Bool = false,
        filter: (SQLSelectBuilder) -> SQLSelectBuilder = { $0 }, _ page: PageRequest,
        decode: (any SQLRow) throws -> T
    ) async throws -> Page<T> {
        var query = filter(select().columns(columns).from(table))
        for column in order { query = query.orderBy(column, descending ? .descending : .ascending) }
        let rows = try await query.limit(page.perPage).offset(page.offset).all()
        let total =
            try await filter(select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table))
            .first()?.decode(column: "n", as: Int.self) ?? 0
        return Page(items: try rows.map(decode), total: total)
    }
}

extension SQLDatabase {
    /// One page of the rows of `table` whose JSON document `matches`, in `order`, and how many
    /// match in all. Every row is read and its document parsed: for the Management API's `q`
    /// searches, whose conditions (nested metadata, wildcards, ranges) SQL cannot express the
    /// same way on SQLite and PostgreSQL. Measured in BENCHMARKS.md ("Searching users and logs").
    func searchPage<T: Sendable>(
        of table: String, idColumn: String, order: [String], descending: Bool = false, _ page: PageRequest,
        matches: (JSONValue) -> Bool, decode: (any SQLRow) throws -> T
    ) async throws -> Page<T> {
        var query = select().columns(idColumn, "document").from(table)
        for column in order { query = query.orderBy(column, descending ? .descending : .ascending) }
        var items: [T] = []
        var total = 0
        for row in try await query.all() {
            guard let document = JSONValue(jsonText: try row.decode(column: "document", as: String.self)), matches(document)
            else { continue }
            if total >= page.offset && items.count < page.perPage { items.append(try decode(row)) }
            total += 1
        }
        return Page(items: items, total: total)
    }
}

extension SQLDatabase {
    /// Marks the cached configuration (clients, APIs, client grants, connections) stale on every
    /// instance. Called after the write, so a reader never caches old data under the new version.
    func bumpConfigurationVersion() async throws {
        try await raw("UPDATE configuration_version SET version = version + 1 WHERE id = 1").run()
    }
}
