import GatehouseCore
import SQLKit

/// Actions, their versions and the trigger bindings (`auth0-actions.md` §5).
public protocol ActionRepository: Sendable {
    func get(_ id: String) async throws -> ActionRecord?
    func find(name: String) async throws -> ActionRecord?
    func list(_ page: PageRequest) async throws -> Page<ActionRecord>
    func all() async throws -> [ActionRecord]
    func count() async throws -> Int
    func insert(_ action: ActionRecord, secrets: [String: String]) async throws
    /// Saves the draft; `secrets` replaces the stored values when given.
    func update(_ action: ActionRecord, secrets: [String: String]?) async throws
    func secrets(ofAction id: String) async throws -> [String: String]
    /// Deletes the action, its versions and its bindings.
    func delete(_ id: String) async throws

    func insertVersion(_ version: ActionVersionRecord, secrets: [String: String]) async throws
    func version(_ id: String) async throws -> ActionVersionRecord?
    func versions(ofAction id: String) async throws -> [ActionVersionRecord]
    func secrets(ofVersion id: String) async throws -> [String: String]
    /// Marks `versionID` the deployed version of `actionID` and every other version not deployed.
    func markDeployed(actionID: String, versionID: String) async throws
    func deleteVersion(_ id: String) async throws

    func bindings(trigger: String) async throws -> [ActionBindingRecord]
    func bindings(action: String) async throws -> [ActionBindingRecord]
    /// Replaces a trigger's whole ordered list.
    func replaceBindings(trigger: String, with bindings: [ActionBindingRecord]) async throws
}

struct SQLActionRepository: ActionRepository {
    let db: any SQLDatabase
    let masterKey: MasterKey

    private func decodeAction(_ row: any SQLRow) throws -> ActionRecord {
        try DocumentCoding.decode(ActionRecord.self, from: row, table: "actions", id: try row.decode(column: "id", as: String.self))
    }

    private func decodeVersion(_ row: any SQLRow) throws -> ActionVersionRecord {
        try DocumentCoding.decode(
            ActionVersionRecord.self, from: row, table: "action_versions", id: try row.decode(column: "id", as: String.self))
    }

    private func seal(_ secrets: [String: String]) throws -> String {
        try masterKey.seal(JSONValue.object(secrets.mapValues(JSONValue.string)).jsonText())
    }

    private func open(_ row: (any SQLRow)?) throws -> [String: String] {
        guard let row else { return [:] }
        let text = try masterKey.open(try row.decode(column: "sealed_secrets", as: String.self))
        return (JSONValue(jsonText: text)?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    func get(_ id: String) async throws -> ActionRecord? {
        try await db.select().columns("id", "document").from("actions").where("id", .equal, id).first().map(decodeAction)
    }

    func find(name: String) async throws -> ActionRecord? {
        try await db.select().columns("id", "document").from("actions").where("name", .equal, name).first().map(decodeAction)
    }

    func list(_ page: PageRequest) async throws -> Page<ActionRecord> {
        try await db.page(of: "actions", columns: ["id", "document"], page, decode: decodeAction)
    }

    func all() async throws -> [ActionRecord] {
        try await db.select().columns("id", "document").from("actions").orderBy("created_at").orderBy("id").all().map(decodeAction)
    }

    func count() async throws -> Int {
        try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("actions").first()?
            .decode(column: "n", as: Int.self) ?? 0
    }

    func insert(_ action: ActionRecord, secrets: [String: String]) async throws {
        let document = try DocumentCoding.encode(action)
        let sealed = try seal(secrets)
        try await db.insertUnique("an action named \(action.name)") { db in
            db.insert(into: "actions").columns("id", "name", "document", "sealed_secrets", "created_at")
                .values(SQLBind(action.id), SQLBind(action.name), SQLBind(document), SQLBind(sealed), SQLBind(Timestamp.nowMillis()))
        }
    }

    func update(_ action: ActionRecord, secrets: [String: String]?) async throws {
        var query = db.update("actions").set("document", to: try DocumentCoding.encode(action)).set("name", to: action.name)
        if let secrets { query = query.set("sealed_secrets", to: try seal(secrets)) }
        do {
            try await query.where("id", .equal, action.id).run()
        } catch  where StorageError.isUniqueViolation(error) {
            throw StorageError.conflict("an action named \(action.name)")
        }
    }

    func secrets(ofAction id: String) async throws -> [String: String] {
        try open(try await db.select().column("sealed_secrets").from("actions").where("id", .equal, id).first())
    }

    func delete(_ id: String) async throws {
        try await db.delete(from: "action_bindings").where("action_id", .equal, id).run()
        try await db.delete(from: "action_versions").where("action_id", .equal, id).run()
        try await db.delete(from: "actions").where("id", .equal, id).run()
        try await db.bumpConfigurationVersion()
    }

    func insertVersion(_ version: ActionVersionRecord, secrets: [String: String]) async throws {
        let document = try DocumentCoding.encode(version)
        let sealed = try seal(secrets)
        try await db.insertUnique("version \(version.number) of action \(version.action_id)") { db in
            db.insert(into: "action_versions").columns("id", "action_id", "number", "document", "sealed_secrets", "created_at")
                .values(
                    SQLBind(version.id), SQLBind(version.action_id), SQLBind(version.number), SQLBind(document), SQLBind(sealed),
                    SQLBind(Timestamp.nowMillis()))
        }
    }

    func version(_ id: String) async throws -> ActionVersionRecord? {
        try await db.select().columns("id", "document").from("action_versions").where("id", .equal, id).first().map(decodeVersion)
    }

    func versions(ofAction id: String) async throws -> [ActionVersionRecord] {
        try await db.select().columns("id", "document").from("action_versions").where("action_id", .equal, id)
            .orderBy("number", .descending).all().map(decodeVersion)
    }

    func secrets(ofVersion id: String) async throws -> [String: String] {
        try open(try await db.select().column("sealed_secrets").from("action_versions").where("id", .equal, id).first())
    }

    func markDeployed(actionID: String, versionID: String) async throws {
        for var version in try await versions(ofAction: actionID) where version.deployed != (version.id == versionID) {
            version.deployed = version.id == versionID
            try await db.update("action_versions").set("document", to: try DocumentCoding.encode(version))
                .where("id", .equal, version.id).run()
        }
        try await db.bumpConfigurationVersion()
    }

    func deleteVersion(_ id: String) async throws {
        try await db.delete(from: "action_versions").where("id", .equal, id).run()
    }

    private func decodeBinding(_ row: any SQLRow) throws -> ActionBindingRecord {
        ActionBindingRecord(
            id: try row.decode(column: "id", as: String.self), trigger_id: try row.decode(column: "trigger_id", as: String.self),
            action_id: try row.decode(column: "action_id", as: String.self),
            display_name: try row.decode(column: "display_name", as: String.self),
            created_at: try row.decode(column: "created_at", as: Int64.self),
            fail_open: try row.decode(column: "fail_open", as: Int64.self) != 0)
    }

    func bindings(trigger: String) async throws -> [ActionBindingRecord] {
        try await db.select().columns("id", "trigger_id", "action_id", "display_name", "created_at", "fail_open").from("action_bindings")
            .where("trigger_id", .equal, trigger).orderBy("position").all().map(decodeBinding)
    }

    func bindings(action: String) async throws -> [ActionBindingRecord] {
        try await db.select().columns("id", "trigger_id", "action_id", "display_name", "created_at", "fail_open").from("action_bindings")
            .where("action_id", .equal, action).orderBy("trigger_id").orderBy("position").all().map(decodeBinding)
    }

    func replaceBindings(trigger: String, with bindings: [ActionBindingRecord]) async throws {
        try await db.delete(from: "action_bindings").where("trigger_id", .equal, trigger).run()
        for (position, binding) in bindings.enumerated() {
            try await db.insert(into: "action_bindings")
                .columns("id", "trigger_id", "position", "action_id", "display_name", "created_at", "fail_open")
                .values(
                    SQLBind(binding.id), SQLBind(trigger), SQLBind(position), SQLBind(binding.action_id), SQLBind(binding.display_name),
                    SQLBind(binding.created_at), SQLBind(binding.fail_open ? 1 : 0)
                ).run()
        }
        try await db.bumpConfigurationVersion()
    }
}
