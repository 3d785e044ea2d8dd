import Foundation
import GatehouseCore
import GatehouseStorage
import SQLKit
import Testing

/// Hooks through the Management API, and what they printed, read back from the execution records.
enum HookFlowSupport {
    /// Creates an enabled hook (and its secrets) through `/api/v2/hooks`; returns its id.
    @discardableResult
    static func create(
        _ fixtures: Fixtures, name: String, trigger: String, script: String, secrets: [String: String] = [:], enabled: Bool = true
    ) async throws -> String {
        let created = try await fixtures.client.json(
            .post, "/api/v2/hooks",
            .object(["name": .string(name), "script": .string(script), "triggerId": .string(trigger), "enabled": .bool(enabled)]),
            token: fixtures.token)
        guard created.status == .created, let id = created.json["id"]?.stringValue else {
            throw TestFailure("cannot create hook \(name): \(created.text)")
        }
        if !secrets.isEmpty {
            let added = try await fixtures.client.json(
                .post, "/api/v2/hooks/\(id)/secrets", .object(secrets.mapValues(JSONValue.string)), token: fixtures.token)
            guard added.status == .created else { throw TestFailure("cannot add secrets to hook \(name): \(added.text)") }
        }
        return id
    }

    /// The results (JSON, as stored) of every recorded execution of `trigger`.
    static func results(_ client: TestClient, trigger: String) async throws -> [JSONValue] {
        let documents = try await client.server.services.storage.database.read { db in
            try await db.select().column("document").from("action_executions").all()
                .map { try $0.decode(column: "document", as: String.self) }
        }
        return documents.compactMap { JSONValue(jsonText: $0) }.filter { $0["trigger_id"]?.stringValue == trigger }
            .flatMap { $0["results"]?.arrayValue ?? [] }
    }

    /// What the step named `name` printed, in each execution of `trigger` it ran in, waiting
    /// (the relay and the recorder work after the request) until there are `count`.
    static func logs(_ client: TestClient, trigger: String, step name: String, count: Int = 1) async throws -> [String] {
        var found: [String] = []
        try await OutboxRelayTests.eventually("\(count) execution(s) of \(name) at \(trigger) are recorded") {
            found = try await results(client, trigger: trigger).filter { $0["action_name"]?.stringValue == name }
                .map { $0["logs"]?.stringValue ?? "" }
            return found.count >= count
        }
        return found
    }
}
