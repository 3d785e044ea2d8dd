import GatehouseCore
import SQLKit

/// The tenant's e-mail provider (one row) and e-mail templates (one per Auth0 template name).
public protocol EmailRepository: Sendable {
    /// The provider with its SMTP password opened; `nil` when none is configured.
    func provider() async throws -> StoredEmailProvider?
    /// Creates or replaces the provider; the password is sealed with the master key.
    func setProvider(_ provider: StoredEmailProvider) async throws
    /// `false` when there was none.
    func deleteProvider() async throws -> Bool
    func template(_ name: String) async throws -> EmailTemplateRecord?
    /// `StorageError.conflict` when the template exists.
    func insertTemplate(_ template: EmailTemplateRecord) async throws
    /// Creates or replaces.
    func putTemplate(_ template: EmailTemplateRecord) async throws
}

struct SQLEmailRepository: EmailRepository {
    let db: any SQLDatabase
    let masterKey: MasterKey

    func provider() async throws -> StoredEmailProvider? {
        guard
            let row = try await db.select().columns("document", "sealed_password").from("email_provider").where("id", .equal, 1)
                .first()
        else { return nil }
        let record = try DocumentCoding.decode(EmailProviderRecord.self, from: row, table: "email_provider", id: "1")
        let password = try row.decode(column: "sealed_password", as: String?.self).map { try masterKey.open($0) }
        return StoredEmailProvider(record: record, smtpPassword: password)
    }

    func setProvider(_ provider: StoredEmailProvider) async throws {
        let document = try DocumentCoding.encode(provider.record)
        let sealed = try provider.smtpPassword.map { try masterKey.seal($0) }
        let now = Timestamp.nowMillis()
        try await db.raw(
            """
            INSERT INTO email_provider (id, document, sealed_password, updated_at) VALUES (1, \(bind: document), \(bind: sealed), \(bind: now))
            ON CONFLICT (id) DO UPDATE SET document = excluded.document, sealed_password = excluded.sealed_password,
                updated_at = excluded.updated_at
            """
        ).run()
    }

    func deleteProvider() async throws -> Bool {
        let existed = try await provider() != nil
        try await db.delete(from: "email_provider").where("id", .equal, 1).run()
        return existed
    }

    func template(_ name: String) async throws -> EmailTemplateRecord? {
        try await db.select().column("document").from("email_templates").where("template", .equal, name).first()
            .map { try DocumentCoding.decode(EmailTemplateRecord.self, from: $0, table: "email_templates", id: name) }
    }

    func insertTemplate(_ template: EmailTemplateRecord) async throws {
        let document = try DocumentCoding.encode(template)
        try await db.insertUnique("email template \(template.template)") { db in
            db.insert(into: "email_templates").columns("template", "document", "updated_at")
                .values(SQLBind(template.template), SQLBind(document), SQLBind(Timestamp.nowMillis()))
        }
    }

    func putTemplate(_ template: EmailTemplateRecord) async throws {
        let document = try DocumentCoding.encode(template)
        try await db.raw(
            """
            INSERT INTO email_templates (template, document, updated_at)
            VALUES (\(bind: template.template), \(bind: document), \(bind: Timestamp.nowMillis()))
            ON CONFLICT (template) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
            """
        ).run()
    }
}
