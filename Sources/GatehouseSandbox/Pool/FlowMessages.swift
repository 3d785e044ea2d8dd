import GatehouseCore

/// One flow to run: the bound actions of a trigger, in order, over one event (`PROTOCOL.md` §4).
public struct FlowRequest: Sendable, Equatable {
    public var trigger: String
    /// `execute`, or `continue` to resume the first action after a redirect or challenge.
    public var handler: String
    /// The event without `secrets` (each action gets its own).
    public var event: JSONValue
    public var actions: [ActionSource]
    /// This trigger's cache snapshot: key → `{value, expires_at}`.
    public var cache: [String: CacheEntry]
    public var facts: [String: JSONValue]
    public var budgetMillis: Int
    public var now: EpochMillis
    /// Keys earlier parts of the flow made transient (`PROTOCOL.md` §4, `state.transient`).
    public var transient: JSONValue?
    /// Asks the runner for the flow's `state`, to go on with another part on another runtime.
    public var returnState = false

    public init(
        trigger: String, handler: String = "execute", event: JSONValue, actions: [ActionSource],
        cache: [String: CacheEntry] = [:], facts: [String: JSONValue] = [:], budgetMillis: Int = 20_000,
        now: EpochMillis = Timestamp.nowMillis()
    ) {
        self.trigger = trigger
        self.handler = handler
        self.event = event
        self.actions = actions
        self.cache = cache
        self.facts = facts
        self.budgetMillis = budgetMillis
        self.now = now
    }

    /// The request frame as one JSON line's bytes, newline included. The actions' JSON is
    /// written once per `ActionSource`; objects keep their dictionary order.
    /// `withoutCode(index)` says which actions go without their code, because the worker
    /// already has their version compiled (`PROTOCOL.md` §4).
    func frameBytes(id: Int, withoutCode: (Int) -> Bool = { _ in false }) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024 + actions.reduce(0) { $0 + $1.json.count })
        writer.appendRaw(#"{"type":"flow","id":"#)
        writer.appendNumber(Double(id))
        Self.field(&writer, "trigger", .string(trigger))
        Self.field(&writer, "handler", .string(handler))
        Self.field(&writer, "event", event)
        writer.appendRaw(",\"actions\":[")
        for (index, action) in actions.enumerated() {
            if index > 0 { writer.appendByte(UInt8(ascii: ",")) }
            writer.appendRaw(withoutCode(index) ? action.jsonWithoutCode : action.json)
        }
        writer.appendByte(UInt8(ascii: "]"))
        Self.field(
            &writer, "cache",
            .object(cache.mapValues { .object(["value": .string($0.value), "expires_at": .number(Double($0.expiresAt))]) }))
        Self.field(&writer, "facts", .object(facts))
        Self.field(&writer, "budget_ms", .number(Double(budgetMillis)))
        Self.field(&writer, "now", .number(Double(now)))
        if let transient { Self.field(&writer, "transient", transient) }
        if returnState { Self.field(&writer, "return_state", true) }
        writer.appendRaw("}\n")
        return writer.bytes()
    }

    private static func field(_ writer: inout JSONWriter, _ name: StaticString, _ value: JSONValue) {
        writer.appendRaw(",\"")
        writer.appendRaw(name)
        writer.appendRaw("\":")
        writer.append(value, sortedKeys: false)
    }
}

/// The code of one deployed action version, with what it runs with. Its request-frame JSON is
/// written once, here, with and without the code: a bound version is sent with every flow, its
/// code only until the worker has compiled it.
public struct ActionSource: Sendable, Equatable {
    public let name: String
    public let versionID: String
    public let code: String
    public let secrets: [String: String]
    /// Absolute path of the version's installed `node_modules`, inside the bundles directory.
    public let nodeModules: String?
    /// When the action throws, the flow goes on without its commands (`PROTOCOL.md` §4).
    public let failOpen: Bool
    /// The action's runtime (`node18`, `node20`, `node22`): which Node binary runs it.
    public let runtime: String?
    /// A legacy Auth0 Rule (`PROTOCOL.md` §4.3): `code` is its script, `secrets` the rules'
    /// `configuration`, `nodeModules` the rules' shared bundle.
    public let isRule: Bool
    /// A legacy Auth0 Hook (`PROTOCOL.md` §4.4): the extensibility point it runs at; `code` is
    /// its module, `secrets` its secrets, `nodeModules` its dependencies' bundle.
    public let hook: String?
    /// This action's entry of the frame's `actions` array.
    let json: [UInt8]
    /// The same entry without `code`, for a worker that has compiled this version.
    let jsonWithoutCode: [UInt8]

    public init(
        name: String, versionID: String, code: String, secrets: [String: String] = [:], nodeModules: String? = nil,
        failOpen: Bool = false, runtime: String? = nil, isRule: Bool = false, hook: String? = nil
    ) {
        self.name = name
        self.versionID = versionID
        self.code = code
        self.secrets = secrets
        self.nodeModules = nodeModules
        self.failOpen = failOpen
        self.runtime = runtime
        self.isRule = isRule
        self.hook = hook
        // Members in one fixed order (`PROTOCOL.md` §4), the warm-up's actions included: objects
        // of one shape share V8's optimised code; another order would undo the warm-up.
        func entry(withCode: Bool) -> [UInt8] {
            var writer = JSONWriter()
            writer.appendRaw(#"{"name":"#)
            writer.appendString(name)
            writer.appendRaw(#","version_id":"#)
            writer.appendString(versionID)
            if withCode {
                writer.appendRaw(#","code":"#)
                writer.appendString(code)
            }
            writer.appendRaw(#","secrets":"#)
            writer.append(.object(secrets.mapValues(JSONValue.string)), sortedKeys: true)
            writer.appendRaw(#","node_modules":"#)
            writer.append(nodeModules.map(JSONValue.string) ?? .null, sortedKeys: true)
            if failOpen { writer.appendRaw(#","fail_open":true"#) }
            if isRule { writer.appendRaw(#","rule":true"#) }
            if let hook {
                writer.appendRaw(#","hook":"#)
                writer.appendString(hook)
            }
            writer.appendByte(UInt8(ascii: "}"))
            return writer.bytes()
        }
        self.json = entry(withCode: true)
        self.jsonWithoutCode = entry(withCode: false)
    }

    /// Whether a worker that compiled `other` runs this version's module: same version, same
    /// code, same packages (the runner keys its modules by `version_id`).
    func compiles(like other: ActionSource) -> Bool {
        versionID == other.versionID && code == other.code && nodeModules == other.nodeModules
    }

}

public struct CacheEntry: Sendable, Equatable, Codable {
    public var value: String
    public var expiresAt: EpochMillis

    public init(value: String, expiresAt: EpochMillis) {
        self.value = value
        self.expiresAt = expiresAt
    }
}

/// What a flow did (`PROTOCOL.md` §5), as the runner reported it or as the pool concluded when
/// the runner could not answer (timeout, crash).
public struct FlowResult: Sendable, Equatable, Codable {
    public var status: Status
    public var actions: [ActionResult]
    public var suspended: Suspension?
    /// A failure of the flow as a whole (the worker was killed or crashed, or the request was refused).
    public var error: ActionError?
    /// What the next part of the flow starts from, when the request asked for it.
    public var state: JSONValue?
    /// The action `error` is blamed on when the flow failed as a whole because of one action
    /// (it ended its worker); `nil` when the flow's first action or the platform is meant.
    public var failedActionIndex: Int?

    public enum Status: String, Sendable, Codable {
        case completed, denied, suspended, failed
    }

    public struct Suspension: Sendable, Equatable, Codable {
        public var action_index: Int
        public var method: String
        public var args: [JSONValue]
    }

    public init(status: Status, actions: [ActionResult], suspended: Suspension? = nil, error: ActionError? = nil) {
        self.status = status
        self.actions = actions
        self.suspended = suspended
        self.error = error
    }

    /// The commands of every action, in order: what the server applies after the flow.
    public var commands: [Command] { actions.flatMap(\.commands) }
}

public struct ActionResult: Sendable, Equatable, Codable {
    public var name: String
    public var version_id: JSONValue
    public var duration_ms: Double
    public var logs: String
    public var error: ActionError?
    public var commands: [Command]
}

/// An error raised in an action or by the platform, classified as Auth0's logs do.
public struct ActionError: Sendable, Equatable, Codable, Error {
    public var name: String
    public var message: String
    public var code: JSONValue?
    public var stack: String?
    /// `action_error`, `action_timeout` or `platform_error`.
    public var `class`: String

    public init(name: String, message: String, code: JSONValue? = nil, stack: String? = nil, class errorClass: String) {
        self.name = name
        self.message = message
        self.code = code
        self.stack = stack
        self.class = errorClass
    }
}

/// One effective `api` call: its full path and JSON arguments.
public struct Command: Sendable, Equatable, Codable {
    public var method: String
    public var args: [JSONValue]

    public init(method: String, args: [JSONValue]) {
        self.method = method
        self.args = args
    }
}
