import GatehouseCore

extension FlowResult {
    /// The document `gatehouse actions run` prints and the test endpoint returns:
    /// `{"status", "actions": [{"name", "duration_ms", "logs", "error", "commands"}], "suspended", "error"}`.
    public var report: JSONValue {
        var object: [String: JSONValue] = [
            "status": .string(status.rawValue),
            "actions": .array(
                actions.map { action in
                    .object([
                        "name": .string(action.name), "duration_ms": .number(action.duration_ms), "logs": .string(action.logs),
                        "error": action.error.map(\.json) ?? .null,
                        "commands": .array(action.commands.map { .object(["method": .string($0.method), "args": .array($0.args)]) }),
                    ])
                }),
            "suspended": suspended.map {
                .object(["action_index": .number(Double($0.action_index)), "method": .string($0.method), "args": .array($0.args)])
            } ?? .null,
        ]
        if let error { object["error"] = error.json }
        return .object(object)
    }
}

extension ActionError {
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "message": .string(message), "class": .string(self.class),
            "stack": stack.map(JSONValue.string) ?? .null,
        ]
        if let code { object["code"] = code }
        return .object(object)
    }
}
