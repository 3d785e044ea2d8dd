import GatehouseCore
import SQLKit

/// Password-change and e-mail-verification tickets (`AccountTicketRecord`), each used at most once.
public protocol AccountTicketRepository: Sendable {
    func insert(tokenHash: String, _ ticket: AccountTicketRecord) async throws
    /// What `tokenHash` names at `now`, without using it (to show the page).
    func find(tokenHash: String, now: EpochMillis) async throws -> AccountTicketLookup
    /// Marks the ticket used and returns it, once: the conditional update is the lock between
    /// two submissions of the same link.
    func use(tokenHash: String, now: EpochMillis) async throws -> AccountTicketRecord?
    /// Replaces a live ticket's document (its challenge state); `false` when it was used or
    /// expired meanwhile.
    func update(tokenHash: String, _ ticket: AccountTicketRecord, now: EpochMillis) async throws -> Bool
    /// Deletes tickets that expired before `before`.
    func purge(expiredBefore before: EpochMillis) async throws
}

struct SQLAccountTicketRepository: AccountTicketRepository {
    let db: any SQLDatabase

    func insert(tokenHash: String, _ ticket: AccountTicketRecord) async throws {
        try await db.insert(into: "account_tickets").columns("token_hash", "user_id", "document", "created_at", "expires_at")
            .values(
                SQLBind(tokenHash), SQLBind(ticket.user_id), SQLBind(try DocumentCoding.encode(ticket)), SQLBind(ticket.created_at),
                SQLBind(ticket.expires_at)
            ).run()
    }

    func find(tokenHash: String, now: EpochMillis) async throws -> AccountTicketLookup {
        guard
            let row = try await db.select().columns("document", "expires_at", "used_at").from("account_tickets")
                .where("token_hash", .equal, tokenHash).first()
        else { return .unknown }
        if try row.decode(column: "used_at", as: EpochMillis?.self) != nil { return .used }
        if try row.decode(column: "expires_at", as: EpochMillis.self) <= now { return .expired }
        return .live(try DocumentCoding.decode(AccountTicketRecord.self, from: row, table: "account_tickets", id: "ticket"))
    }

    func use(tokenHash: String, now: EpochMillis) async throws -> AccountTicketRecord? {
        let used = try await db.update("account_tickets").set("used_at", to: now)
            .where("token_hash", .equal, tokenHash).where("used_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, now).returning("document").first()
        return try used.map { try DocumentCoding.decode(AccountTicketRecord.self, from: $0, table: "account_tickets", id: "ticket") }
    }

    func update(tokenHash: String, _ ticket: AccountTicketRecord, now: EpochMillis) async throws -> Bool {
        let updated = try await db.update("account_tickets").set("document", to: try DocumentCoding.encode(ticket))
            .where("token_hash", .equal, tokenHash).where("used_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now)
            .returning("token_hash").all()
        return !updated.isEmpty
    }

    func purge(expiredBefore before: EpochMillis) async throws {
        try await db.delete(from: "account_tickets").where("expires_at", .lessThan, before).run()
    }
}
