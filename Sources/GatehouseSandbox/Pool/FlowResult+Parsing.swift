import GatehouseCore

extension FlowResult {
    /// Reads a runner `result` frame (`PROTOCOL.md` §5) answering the request `requestID`;
    /// `nil` when the bytes are not one (a frame answering another request is a protocol
    /// violation, §2). Read member by member with a `JSONCursor` (no `JSONValue` tree for the
    /// frame itself; the commands' arguments, errors and state are `JSONValue`s) because this
    /// runs once per flow. `recycle` is the runner asking for the worker to be replaced.
    static func parse(runnerFrame bytes: some Collection<UInt8>, answering requestID: Int) -> (flow: FlowResult, recycle: Bool)? {
        var cursor = JSONCursor(bytes)
        var answersRequest = false
        var type: String?
        var status: Status?
        var actions: [ActionResult]?
        var suspension: Suspension?
        var error: ActionError?
        var state: JSONValue?
        var recycle = false
        let read = cursor.object { cursor, key in
            switch key {
            case "id":
                answersRequest = cursor.value() == .number(Double(requestID))
                return true
            case "type":
                type = cursor.string()
                return type != nil
            case "status":
                status = cursor.string().flatMap(Status.init(rawValue:))
                return status != nil
            case "actions":
                var list: [ActionResult] = []
                list.reserveCapacity(4)
                guard
                    cursor.array({ cursor in
                        guard let action = ActionResult(cursor: &cursor) else { return false }
                        list.append(action)
                        return true
                    })
                else { return false }
                actions = list
                return true
            case "suspended":
                if cursor.null() { return true }
                guard let value = cursor.value(), case .number(let index) = value["action_index"] else { return false }
                suspension = Suspension(
                    action_index: Int(index), method: value["method"]?.stringValue ?? "", args: value["args"]?.arrayValue ?? [])
                return true
            case "error":
                guard let value = cursor.value() else { return false }
                error = ActionError(runnerValue: value)  // nil for null
                return true
            case "recycle":
                recycle = cursor.value() == .bool(true)
                return true
            case "state":
                state = cursor.value()
                return state != nil
            default:
                return cursor.skip()
            }
        }
        guard read, cursor.isAtEnd(), type == "result", answersRequest, let status, let actions else { return nil }
        var flow = FlowResult(status: status, actions: actions, suspended: suspension, error: error)
        flow.state = state
        return (flow, recycle)
    }
}

extension FlowResult {
    /// Whether `bytes` are the runner's `missing_code` answer to the request `requestID`
    /// (`PROTOCOL.md` §5): it ran nothing, lacking the code of a version sent without it.
    static func isMissingCode(_ bytes: [UInt8], answering requestID: Int) -> Bool {
        guard let frame = JSONValue(jsonData: bytes) else { return false }
        return frame["type"] == "missing_code" && frame["id"] == .number(Double(requestID))
    }
}

extension ActionResult {
    /// One entry of a result frame's `actions`.
    init?(cursor: inout JSONCursor) {
        var name: String?
        var versionID: JSONValue = .null
        var duration = 0.0
        var logs = ""
        var error: ActionError?
        var commands: [Command] = []
        let read = cursor.object { cursor, key in
            switch key {
            case "name":
                name = cursor.string()
                return name != nil
            case "version_id":
                guard let value = cursor.value() else { return false }
                versionID = value
                return true
            case "duration_ms":
                guard let value = cursor.value() else { return false }
                if case .number(let number) = value { duration = number }
                return true
            case "logs":
                if cursor.null() { return true }
                guard let text = cursor.string() else { return false }
                logs = text
                return true
            case "error":
                guard let value = cursor.value() else { return false }
                error = ActionError(runnerValue: value)  // nil for null
                return true
            case "commands":
                return cursor.array { cursor in
                    guard let command = Command(cursor: &cursor) else { return false }
                    commands.append(command)
                    return true
                }
            default:
                return cursor.skip()
            }
        }
        guard read, let name else { return nil }
        self.init(name: name, version_id: versionID, duration_ms: duration, logs: logs, error: error, commands: commands)
    }
}

extension Command {
    /// One `{"method", "args"}` entry of an action's `commands`.
    init?(cursor: inout JSONCursor) {
        var method: String?
        var args: [JSONValue] = []
        let read = cursor.object { cursor, key in
            switch key {
            case "method":
                method = cursor.string()
                return method != nil
            case "args":
                guard let value = cursor.value() else { return false }
                args = value.arrayValue ?? []
                return true
            default:
                return cursor.skip()
            }
        }
        guard read, let method else { return nil }
        self.init(method: method, args: args)
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
