import GatehouseCore

extension FlowResult {
    /// Reads a runner `result` frame (`PROTOCOL.md` §5); `nil` when the frame is not one.
    /// Hand-read from `JSONValue` because this runs once per flow.
    init?(runnerFrame frame: JSONValue) {
        guard frame["type"] == "result", let statusText = frame["status"]?.stringValue,
            let status = Status(rawValue: statusText), let actionValues = frame["actions"]?.arrayValue
        else { return nil }
        var actions: [ActionResult] = []
        actions.reserveCapacity(actionValues.count)
        for value in actionValues {
            guard let name = value["name"]?.stringValue else { return nil }
            var commands: [Command] = []
            for command in value["commands"]?.arrayValue ?? [] {
                guard let method = command["method"]?.stringValue else { return nil }
                commands.append(Command(method: method, args: command["args"]?.arrayValue ?? []))
            }
            var duration = 0.0
            if case .number(let number) = value["duration_ms"] { duration = number }
            actions.append(
                ActionResult(
                    name: name, version_id: value["version_id"] ?? .null, duration_ms: duration,
                    logs: value["logs"]?.stringValue ?? "", error: value["error"].flatMap(ActionError.init(runnerValue:)),
                    commands: commands))
        }
        var suspension: Suspension?
        if let suspended = frame["suspended"], case .number(let index) = suspended["action_index"] {
            suspension = Suspension(
                action_index: Int(index), method: suspended["method"]?.stringValue ?? "", args: suspended["args"]?.arrayValue ?? [])
        }
        self.init(
            status: status, actions: actions, suspended: suspension, error: frame["error"].flatMap(ActionError.init(runnerValue:)))
        state = frame["state"]
    }
}

extension ActionError {
    init?(runnerValue value: JSONValue) {
        guard let message = value["message"]?.stringValue else { return nil }
        self.init(
            name: value["name"]?.stringValue ?? "Error", message: message,
            code: value["code"].flatMap { $0 == .null ? nil : $0 }, stack: value["stack"]?.stringValue,
            class: value["class"]?.stringValue ?? "action_error")
    }
}
