import GatehouseCore

// The stored documents of the two records written on every flow and token exchange, built
// without `JSONEncoder` (which cost about 8 % of the server's CPU per token; BENCHMARKS.md).
// They decode with the records' `Codable` conformance like every other document.

extension ExecutionRecord {
    var document: String {
        JSONValue.object([
            "id": .string(id), "trigger_id": .string(trigger_id), "status": .string(status),
            "results": .array(results.map(\.json)), "created_at": .string(created_at), "updated_at": .string(updated_at),
        ]).jsonText()
    }
}

extension ExecutionResult {
    var json: JSONValue {
        var object: [String: JSONValue] = [
            "action_name": .string(action_name), "started_at": .string(started_at), "ended_at": .string(ended_at),
            "response": response, "logs": .string(logs),
        ]
        if let binding_id { object["binding_id"] = .string(binding_id) }
        if let version_id { object["version_id"] = .string(version_id) }
        if let error { object["error"] = error }
        return .object(object)
    }
}

extension LogRecord {
    var document: String {
        var object: [String: JSONValue] = [
            "log_id": .string(log_id), "date": .string(date), "type": .string(type), "description": .string(description),
            "details": details,
        ]
        let optional: [(String, String?)] = [
            ("client_id", client_id), ("client_name", client_name), ("ip", ip), ("user_agent", user_agent),
            ("user_id", user_id), ("user_name", user_name), ("audience", audience), ("scope", scope),
        ]
        for (key, value) in optional { if let value { object[key] = .string(value) } }
        return JSONValue.object(object).jsonText()
    }
}
